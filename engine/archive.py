"""The household file (一户一档 / 一户一册, T-ARCHIVE, 滕政发〔2021〕3号 三(二)3): every case
of a household, of every process (applications, reviews, postings, complaints, monitoring
alerts), with its steps and who decided them, its materials and the notices it can print,
read within the reader's scope. A household is the applicant's ID number, found by its
keyed hash (instances.household_token, engine/runtime/summary.py): the number is stored
nowhere in clear and the file shows it masked.

Reached from one case the reader may see: the file holds only the cases of that household
the reader may also see (another region's or department's cases are left out, not named).

Of the 「两库、两清单」 the same paragraph asks for, the file shows the household as the
local data platform knows it (社会救助对象基础信息库: engine/records.py's registry, members
masked) and the aid it already receives (困难家庭救助服务清单: the granted aid of T-DEDUP);
the aid-project library (救助援助项目库) is the item list, workflows/items.json."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from engine import token_backfill
from engine.auth import Principal, personal, scope
from engine.crypto.columns import session_keyring
from engine.crypto.keys import Keyring
from engine.crypto.lookup import lookup_hash, lookup_hashes
from engine.crypto.names import mask_name
from engine.forms.validators import mask_id_number
from engine.runtime.summary import ID_NUMBER_FIELDS
from engine.store.material_models import CaseMaterial
from engine.store.models import HumanTask, Instance
from engine.store.records import AidGrant, HouseholdMember

MAX_CASES = 500  # a household with more cases than this is shown with its newest ones


@dataclass
class Step:
    """A completed step of a case: a decision, a review, a check, a posting's outcome."""

    name: str
    by: str | None
    at: dt.datetime | None


@dataclass
class Material:
    filename: str
    kind: str
    uploaded_at: dt.datetime
    uploaded_by: str
    sha256: str


@dataclass
class CaseFile:
    """One case of the household as the file shows it."""

    instance: Instance
    process: str
    steps: list[Step] = field(default_factory=list)
    open_steps: list[str] = field(default_factory=list)
    materials: list[Material] = field(default_factory=list)
    aid_types: list[str] = field(default_factory=list)


@dataclass
class Member:
    """A member of the household in the local data platform, masked."""

    name: str | None
    id_number: str
    relation: str
    disability: str | None


@dataclass
class Grant:
    """Aid a member of the household already receives (困难家庭救助服务清单)."""

    id_number: str  # masked
    aid_type: str
    since: dt.date
    until: dt.date | None
    source: str


@dataclass
class HouseholdFile:
    """The household of the case it was opened from: its applicant, masked, and its cases."""

    anchor_id: str
    applicant: str | None  # masked name (张*三)
    id_number: str | None  # masked ID number
    cases: list[CaseFile]
    generated_at: dt.datetime
    members: list[Member] = field(default_factory=list)
    grants: list[Grant] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        """The file as JSON-able data (what the export writes next to the PDF)."""
        def case(c: CaseFile) -> dict[str, Any]:
            i = c.instance
            return {"id": i.id, "business_key": i.business_key, "process": c.process, "status": i.status,
                    "region": i.region, "started_at": _iso(i.started_at), "ended_at": _iso(i.ended_at),
                    "aid_types": c.aid_types, "open_steps": c.open_steps,
                    "steps": [{"name": s.name, "by": s.by, "at": _iso(s.at)} for s in c.steps],
                    "materials": [{"filename": m.filename, "kind": m.kind, "uploaded_at": _iso(m.uploaded_at),
                                   "uploaded_by": m.uploaded_by, "sha256": m.sha256} for m in c.materials]}
        return {"anchor": self.anchor_id, "applicant": self.applicant, "id_number": self.id_number,
                "generated_at": _iso(self.generated_at), "cases": [case(c) for c in self.cases],
                "members": [dict(m.__dict__) for m in self.members],
                "grants": [{**g.__dict__, "since": g.since.isoformat(), "until": _iso(g.until)}  # type: ignore[arg-type]
                           for g in self.grants]}


def _iso(moment: dt.datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


def household_file(engine: Any, who: Principal, instance_id: str) -> HouseholdFile:
    """The household file of the case `instance_id` (404: no such case; 403: outside `who`'s
    scope), with the household's cases `who` may see, oldest first."""
    anchor: Instance = engine.instance_for(who, instance_id)
    clear = engine.case_data(anchor)
    data = personal.masked(clear)
    masked_id = next((v for k in ID_NUMBER_FIELDS if isinstance(v := data.get(k), str)), None)
    number = next((v for k in ID_NUMBER_FIELDS if isinstance(v := clear.get(k), str) and v.strip()), None)
    with engine.db.reading() as s:
        # The hash under every configured key: during a key rotation a household's older
        # cases (and its registry rows) still carry the previous key's hash.
        tokens = lookup_hashes(session_keyring(s), "id_number", number) if number else []
        tokens += [anchor.household_token] if anchor.household_token else []
        if tokens:
            mine = sa.or_(Instance.household_token.in_(tokens), Instance.id == anchor.id)  # itself, whatever it holds
            query = (sa.select(Instance).where(mine, scope.instance_clause(who))
                     .order_by(Instance.started_at.desc(), Instance.id).limit(MAX_CASES))
            rows = list(reversed(list(s.scalars(query))))
        else:  # a case without an ID number (an anonymous report): a file of its own
            rows = [s.get(Instance, anchor.id)]
        ids = [r.id for r in rows]
        tasks = list(s.scalars(sa.select(HumanTask).where(HumanTask.instance_id.in_(ids))
                               .order_by(HumanTask.created_at, HumanTask.id)))
        materials = list(s.scalars(sa.select(CaseMaterial).where(CaseMaterial.instance_id.in_(ids))
                                   .order_by(CaseMaterial.uploaded_at, CaseMaterial.id)))
        cases = {r.id: CaseFile(r, r.definition.name or r.definition.key,
                                aid_types=[a for a in (r.aid_types or "").split(",") if a]) for r in rows}
    for t in tasks:
        if t.state == "completed":
            cases[t.instance_id].steps.append(Step(t.name, t.completed_by, t.ended_at))
        elif t.state == "open":
            cases[t.instance_id].open_steps.append(t.name)
    for m in materials:
        cases[m.instance_id].materials.append(Material(m.filename, m.kind, m.uploaded_at, m.uploaded_by, m.sha256))
    members, grants = _registry(engine, tokens) if tokens else ([], [])
    return HouseholdFile(anchor.id, anchor.applicant_display, masked_id, list(cases.values()), engine.clock.now(),
                         members, grants)


def _registry(engine: Any, tokens: list[str]) -> tuple[list[Member], list[Grant]]:
    """The household's members in the local data platform and the aid they already receive,
    found by the applicant's look-up hash (the registry keys members by the same hash)."""
    with engine.db.reading() as s:
        me = s.scalar(sa.select(HouseholdMember).where(HouseholdMember.id_hash.in_(tokens)).limit(1))
        if me is None:
            return [], []
        rows = list(s.scalars(sa.select(HouseholdMember).where(HouseholdMember.household_id == me.household_id)))
        granted = list(s.scalars(sa.select(AidGrant).where(AidGrant.id_hash.in_([r.id_hash for r in rows]))
                                 .order_by(AidGrant.since, AidGrant.id)))
        members = [Member(mask_name(r.name), mask_id_number(r.id_number), r.relation, r.disability) for r in rows]
        grants = [Grant(mask_id_number(g.id_number), g.aid_type, g.since, g.until, g.source) for g in granted]
    # Sorted here: the numbers are sealed, the database cannot order by them.
    return sorted(members, key=lambda m: (m.relation != "户主", m.id_number)), grants


def backfill_household_tokens(engine: Any, batch: int = 200) -> int:
    """After migration 0025: give each case that has no household token yet the keyed hash of
    its applicant's ID number ("" when its data names none, so that it is read once); how
    many cases were looked at (engine/token_backfill.py)."""
    def token_of(data: dict[str, Any], keyring: Keyring) -> str:
        number = next((v for f in ID_NUMBER_FIELDS if isinstance(v := data.get(f), str) and v.strip()), None)
        return lookup_hash(keyring.primary, "id_number", number) if number else ""

    return token_backfill.backfill(engine, "household_token", token_of,
                                   "its household file lacks it until it is", batch)
