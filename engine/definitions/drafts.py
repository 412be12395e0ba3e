"""Drafts of the process designer (issue 13): the BPMN XML a designer edits, saved on the
server, and the deployment bundle a draft makes with the files it refers to.

A draft holds one diagram. The processes it calls, the decision tables and the forms it
references come from what is deployed (the version it was opened from first, then the
latest version of each called process), so a designer changes one file and deploys it
alone: the deploy command versions only the processes whose files changed."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable

import sqlalchemy as sa
from lxml import etree
from sqlalchemy.orm import Session

from engine.definitions.bundle import BundleFile
from engine.definitions.lint import NS, form_keys
from engine.definitions.xml_safety import MAX_XML_BYTES, parse_xml, problem
from engine.errors import Conflict, DefinitionInvalid, NotFound, ValidationFailed
from engine.store.designer_models import ProcessDraft
from engine.store.models import Definition, DeploymentFile

# A process id as BPMN (an XML NCName) and the definitions column allow it.
KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_.-]{0,119}$")
MAX_DRAFT_BYTES = MAX_XML_BYTES


def check_key(key: str) -> str:
    """`key` when it may name a process; 422 naming the field `key` otherwise."""
    if not isinstance(key, str) or not KEY.match(key):
        raise ValidationFailed("key must be a process id: a letter or _, then letters, digits, _ . - "
                               "(at most 120)", {"fields": {"key": ["not a process id"]}})
    return key


def check_xml(key: str, xml: bytes) -> etree._Element:
    """The parsed draft (safe parser, size bound); it must hold the process `key`."""
    if not isinstance(xml, bytes) or not xml.strip():
        raise ValidationFailed("xml is empty", {"fields": {"xml": ["the diagram's BPMN XML is required"]}})
    if len(xml) > MAX_DRAFT_BYTES:
        raise ValidationFailed(f"xml is larger than {MAX_DRAFT_BYTES} bytes",
                               {"fields": {"xml": [f"at most {MAX_DRAFT_BYTES} bytes"]}})
    root = parse_xml(xml, f"{key}.bpmn")
    if etree.QName(root).namespace != NS["bpmn"] or etree.QName(root).localname != "definitions":
        raise ValidationFailed("xml is not a BPMN 2.0 document", {"fields": {"xml": ["not bpmn:definitions"]}})
    if key not in process_ids(root):
        raise ValidationFailed(f"the diagram holds no process with id '{key}'",
                               {"fields": {"xml": [f"no bpmn:process with id '{key}'"]}})
    return root


def process_ids(root: etree._Element) -> list[str]:
    """The ids of the processes a BPMN document defines."""
    return [p.get("id") for p in root.xpath("//bpmn:process[@id]", namespaces=NS)]


def save(session: Session, key: str, xml: bytes, actor: str, now: dt.datetime,
         base_definition_id: int | None = None, revision: int | None = None) -> ProcessDraft:
    """Create or replace the draft of `key`. `revision`, when given, must be the draft's
    current one: a designer saving over a colleague's newer save is refused (409)."""
    check_xml(check_key(key), xml)
    draft = session.get(ProcessDraft, key, with_for_update=True)
    if base_definition_id is not None and session.get(Definition, base_definition_id) is None:
        raise ValidationFailed("base version does not exist", {"fields": {"base": ["no such version"]}})
    if draft is None:
        draft = ProcessDraft(key=key, xml=xml, base_definition_id=base_definition_id, updated_at=now,
                             updated_by=actor, revision=1)
        session.add(draft)
        session.flush()
        return draft
    if revision is not None and revision != draft.revision:
        raise Conflict(f"the draft of '{key}' was saved by {draft.updated_by} since (revision {draft.revision}); "
                       "reload it", {"draft": key, "revision": draft.revision})
    draft.xml, draft.updated_at, draft.updated_by = xml, now, actor
    draft.revision += 1
    if base_definition_id is not None:
        draft.base_definition_id = base_definition_id
    session.flush()
    return draft


def latest(session: Session, key: str) -> Definition | None:
    """The newest deployed version of `key` (pending approval or not)."""
    return session.scalar(sa.select(Definition).where(Definition.key == key)
                          .order_by(Definition.version.desc()).limit(1))


def _files(session: Session, deployment_id: int) -> list[DeploymentFile]:
    return list(session.scalars(sa.select(DeploymentFile).where(DeploymentFile.deployment_id == deployment_id)))


class _Pool:
    """Deployed files a draft may refer to, read lazily per deployment."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.by_name: dict[str, DeploymentFile] = {}
        self.roots: dict[str, etree._Element] = {}
        self.read: set[int] = set()

    def add_deployment(self, deployment_id: int) -> None:
        if deployment_id in self.read:
            return
        self.read.add(deployment_id)
        for row in _files(self.session, deployment_id):
            self.by_name.setdefault(row.name, row)

    def root(self, name: str) -> etree._Element:
        if name not in self.roots:
            self.roots[name] = parse_xml(self.by_name[name].content, name)
        return self.roots[name]

    def holding(self, kind: str, query: str, ident: str, skip: str) -> str | None:
        """The pooled file of `kind` that defines `ident` (a process or a decision)."""
        for name, row in sorted(self.by_name.items()):
            if row.kind == kind and name != skip and ident in self.root(name).xpath(query):
                return name
        return None


def bundle(session: Session, key: str, xml: bytes, base: Definition | None) -> list[BundleFile]:
    """The draft as the file of its process (the file name it was deployed under) and the
    deployed files it needs: called processes (transitively), their decision tables and the
    forms of every diagram included. Forms not found here come from the engine's forms
    folder at deploy time, as for any deployment."""
    root = check_xml(key, xml)
    pool = _Pool(session)
    if base is not None:
        pool.add_deployment(base.deployment_id)
    name = (pool.holding("bpmn", "//*[local-name()='process']/@id", key, skip="") if base else None) \
        or f"{key}.bpmn"
    out = {name: BundleFile(name, "bpmn", xml)}
    roots, queue = {name: root}, [root]
    while queue:
        current = queue.pop()
        for called in _called(current, "//bpmn:callActivity/@calledElement"):
            if called in process_ids(root):
                continue
            found = pool.holding("bpmn", "//*[local-name()='process']/@id", called, skip=name)
            if found is None and (other := latest(session, called)) is not None:
                pool.add_deployment(other.deployment_id)
                found = pool.holding("bpmn", "//*[local-name()='process']/@id", called, skip=name)
            if found is not None and found not in out:
                out[found] = BundleFile(found, "bpmn", pool.by_name[found].content)
                roots[found] = pool.root(found)
                queue.append(roots[found])
        for decision in _called(current, "//*[local-name()='calledDecisionId']/text()"):
            found = pool.holding("dmn", "//*[local-name()='decision']/@id", decision.strip(), skip=name)
            if found is not None and found not in out:
                out[found] = BundleFile(found, "dmn", pool.by_name[found].content)
    for bpmn_root in roots.values():
        for form_key in form_keys(bpmn_root):
            row = pool.by_name.get(form_key)
            if row is not None and row.kind == "form":
                out[form_key] = BundleFile(form_key, "form", row.content)
    return list(out.values())


def _called(root: etree._Element, query: str) -> Iterable[str]:
    return sorted({str(v) for v in root.xpath(query, namespaces=NS) if str(v).strip()})


def problems_of(err: DefinitionInvalid) -> list[dict]:
    """The problems a refused deployment names (one for a refusal without a list)."""
    return list(err.details.get("problems") or [problem("", err.message)])


def get(session: Session, key: str) -> ProcessDraft:
    """The draft of `key` (404 when there is none)."""
    draft = session.get(ProcessDraft, check_key(key))
    if draft is None:
        raise NotFound(f"there is no draft of '{key}'", {"draft": key})
    return draft
