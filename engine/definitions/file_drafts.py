"""Drafts of routing tables (.dmn) and forms (.json) in the process designer (issue 13).

A table or form draft is kept in the designer's drafts table (engine/store/designer_models.py)
under the key `file:<name>`: no process id can hold a colon (drafts.KEY), so the two kinds
never meet, and no schema change was needed. The file's deployed name (`wuhai/routing.dmn`,
the form key `wuhai/registration.json`) is what identifies it.

Deploying one changed file: every process whose newest version was deployed with a file of
that name is bundled again (drafts.bundle: its diagram, called processes, tables, forms)
with the draft in place of the deployed file, and the bundles go through the one deploy
command together, which versions only the processes whose files changed."""

from __future__ import annotations

import json
from pathlib import PurePosixPath

import sqlalchemy as sa
from lxml import etree
from sqlalchemy.orm import Session

from engine.definitions.bundle import BundleFile, safe_name
from engine.definitions.drafts import latest
from engine.definitions.xml_safety import MAX_XML_BYTES, parse_xml
from engine.errors import DefinitionInvalid, NotFound, ValidationFailed
from engine.forms.definition import MAX_FORM_BYTES
from engine.store.models import Definition, DeploymentFile

PREFIX = "file:"
KINDS = {".dmn": "dmn", ".json": "form"}
MAX_NAME = 120 - len(PREFIX)  # the drafts table's key column
DMN_NAMESPACES = ("https://www.omg.org/spec/DMN/20191111/MODEL/", "http://www.omg.org/spec/DMN/20180521/MODEL/",
                  "http://www.omg.org/spec/DMN/20151101/dmn.xsd")


def draft_key(name: str) -> str:
    """The drafts table key of file `name`."""
    return PREFIX + name


def is_file_key(key: str) -> bool:
    """Whether a drafts table key holds a table or form (not a process)."""
    return key.startswith(PREFIX)


def check_name(name: str) -> tuple[str, str]:
    """`name` as a safe relative path and its kind (dmn | form); 422 naming `name` otherwise."""
    try:
        clean = safe_name(name) if isinstance(name, str) else ""
    except DefinitionInvalid:
        clean = ""
    kind = KINDS.get(PurePosixPath(clean).suffix.lower()) if clean else None
    if kind is None or len(clean) > MAX_NAME:
        raise ValidationFailed("name must be a relative path ending in .dmn or .json (at most "
                               f"{MAX_NAME} characters)", {"fields": {"name": ["a .dmn or form .json file name"]}})
    return clean, kind


def check_content(name: str, kind: str, content: bytes) -> None:
    """A draft must at least be a DMN document or a JSON object (it may be unfinished; the
    deploy checks run on lint and deploy). 422 naming the field `content`."""
    if not isinstance(content, bytes) or not content.strip():
        raise ValidationFailed("content is empty", {"fields": {"content": ["the file's content is required"]}})
    limit = MAX_XML_BYTES if kind == "dmn" else MAX_FORM_BYTES
    if len(content) > limit:
        raise ValidationFailed(f"content is larger than {limit} bytes",
                               {"fields": {"content": [f"at most {limit} bytes"]}})
    if kind == "dmn":
        try:
            root = parse_xml(content, name)
        except DefinitionInvalid as err:
            raise ValidationFailed(err.message, {"fields": {"content": ["not well-formed XML"]}}) from None
        if etree.QName(root).namespace not in DMN_NAMESPACES or etree.QName(root).localname != "definitions":
            raise ValidationFailed("content is not a DMN document", {"fields": {"content": ["not dmn:definitions"]}})
        return
    try:
        form = json.loads(content)
    except (ValueError, RecursionError):
        raise ValidationFailed("content is not JSON", {"fields": {"content": ["not JSON"]}}) from None
    if not isinstance(form, dict) or not isinstance(form.get("components", []), list):
        raise ValidationFailed("content is not a form (a JSON object with components)",
                               {"fields": {"content": ["a form-js schema: a JSON object with components"]}})


def deployed(session: Session, name: str | None = None) -> dict[str, DeploymentFile]:
    """The newest deployed content of each table and form (or of `name` only), by name:
    one row per name (every deployment stores its files again, so most are repeats)."""
    newest = sa.select(DeploymentFile.name, sa.func.max(DeploymentFile.deployment_id).label("deployment_id")) \
        .where(DeploymentFile.kind.in_(("dmn", "form"))).group_by(DeploymentFile.name)
    if name is not None:
        newest = newest.where(DeploymentFile.name == name)
    newest = newest.subquery()
    rows = session.scalars(sa.select(DeploymentFile).join(newest, sa.and_(
        DeploymentFile.name == newest.c.name, DeploymentFile.deployment_id == newest.c.deployment_id)))
    return {row.name: row for row in rows}


def dependents(session: Session, name: str) -> list[Definition]:
    """The newest version of each process whose deployment holds a file named `name`."""
    keys = session.scalars(sa.select(Definition.key).distinct().join(
        DeploymentFile, DeploymentFile.deployment_id == Definition.deployment_id).where(DeploymentFile.name == name))
    found = [latest(session, key) for key in sorted(keys)]
    return [d for d in found if d is not None and session.scalar(sa.select(DeploymentFile.id).where(
        DeploymentFile.deployment_id == d.deployment_id, DeploymentFile.name == name)) is not None]


def replace(files: list[BundleFile], name: str, kind: str, content: bytes) -> tuple[list[BundleFile], bool]:
    """`files` with file `name` replaced by `content`, and whether the bundle held it."""
    held = any(f.name == name for f in files)
    return [BundleFile(name, kind, content) if f.name == name else f for f in files], held


def merge(bundles: list[list[BundleFile]]) -> list[BundleFile]:
    """One deployment of several processes' bundles (the same name holds the same file:
    each came from the newest deployment of its process, the changed file from the draft)."""
    out: dict[str, BundleFile] = {}
    for files in bundles:
        for f in files:
            out.setdefault(f.name, f)
    return list(out.values())


def not_found(name: str) -> NotFound:
    """The 404 for a file neither deployed nor drafted."""
    return NotFound(f"no deployed table or form and no draft named '{name}'", {"file": name})
