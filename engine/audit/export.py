"""A case's audit file (X-AUDIT): everything an auditor needs to check its history offline.

One zip: `manifest.json` (the case, its definition version, the chain's head and the
SHA-256 of every file), `events.json` (each event with its chain hashes, personal values
as the commitments the hashes cover), `seals.json` (every seal of the global chain that
covers the case: the seal's own fields and hash, and the case's head it sealed),
`definition/…` (the BPMN, DMN and form files of the case's own deployment), `history.pdf`
(the history to read, personal data masked: engine/audit/report.py) and `verify_chain.py`
(engine/audit/offline_verify.py: standard library only). `python3 verify_chain.py CASE.zip`
recomputes the chain and each seal's hash without the database and checks that the
events still reach every sealed head; a changed byte of any event, seal or file makes it
fail naming the place. (Whether the sealed head is the one in the seal's digest over all
cases needs every case's head: `relief audit verify --all` checks that on the database.)"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import zipfile
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from engine.audit.log import _EVENTS
from engine.audit.report import history_pdf
from engine.crypto import seal
from engine.crypto.columns import session_keyring
from engine.store.models import AuditEvent, AuditSeal, Definition, DeploymentFile, Instance

SCRIPT = Path(__file__).with_name("offline_verify.py")
# A fixed time for every zip entry: the same case exported twice gives the same bytes.
_ENTRY_TIME = (2000, 1, 1, 0, 0, 0)


def _events(session: Session, instance_id: str) -> list[dict[str, Any]]:
    """The stored events as the hash covers them (sealed values as their commitments)."""
    keyring = session_keyring(session)
    rows = session.execute(sa.select(_EVENTS).where(_EVENTS.c.instance_id == instance_id)
                           .order_by(_EVENTS.c.seq)).all()
    return [{"instance_id": r.instance_id, "seq": r.seq, "command": r.command, "actor": r.actor,
             "at": r.at.astimezone(dt.UTC).isoformat(), "input": seal.hash_view(keyring, r.input),
             "changes": seal.hash_view(keyring, r.changes), "prev_hash": r.prev_hash, "hash": r.hash}
            for r in rows]


def _covering_seals(session: Session, instance_id: str) -> list[dict[str, Any]]:
    """Every seal holding a head of the case, oldest first: the seal's fields and hash, and
    the case's sealed head [id, seq, hash] (not the other cases': they are other regions')."""
    out = []
    for seal_id in list(session.scalars(sa.select(AuditSeal.id).order_by(AuditSeal.seq))):
        row = session.get(AuditSeal, seal_id)
        mine = next((h for h in row.heads if h[0] == instance_id), None)
        if mine is not None:
            out.append({"seq": row.seq, "sealed_at": row.sealed_at.astimezone(dt.UTC).isoformat(),
                        "cases": row.cases, "digest": row.digest, "prev_hash": row.prev_hash, "hash": row.hash,
                        "head": mine})
        session.expunge(row)
    return out


def _add(archive: zipfile.ZipFile, name: str, content: bytes) -> None:
    info = zipfile.ZipInfo(name, _ENTRY_TIME)
    info.compress_type = zipfile.ZIP_DEFLATED
    archive.writestr(info, content)


def export_case(session: Session, instance_id: str, exported_by: str, at: dt.datetime) -> bytes:
    """The audit file of `instance_id` as zip bytes (the caller checked scope)."""
    row = session.get(Instance, instance_id)
    definition = session.get(Definition, row.definition_id)
    files = session.execute(sa.select(DeploymentFile.name, DeploymentFile.content).where(
        DeploymentFile.deployment_id == definition.deployment_id).order_by(DeploymentFile.name)).all()
    events = _events(session, instance_id)
    covering = _covering_seals(session, instance_id)
    head = events[-1]["hash"] if events else "0" * 64
    opened = list(session.scalars(sa.select(AuditEvent).where(AuditEvent.instance_id == instance_id)
                                  .order_by(AuditEvent.seq)))
    contents = {f"definition/{f.name}": bytes(f.content) for f in files}
    contents["seals.json"] = json.dumps(covering, ensure_ascii=False, indent=1, sort_keys=True).encode()
    contents["history.pdf"] = history_pdf(row, f"{definition.key}:{definition.version}", opened, covering, head,
                                          exported_by, at)
    manifest = {
        "format": "relief-audit-export/1",
        "instance_id": row.id, "business_key": row.business_key, "status": row.status, "region": row.region,
        "definition": f"{definition.key}:{definition.version}", "deployment_id": definition.deployment_id,
        "events": len(events), "head": head, "seals": len(covering),
        "exported_by": exported_by, "exported_at": at.astimezone(dt.UTC).isoformat(),
        "files": {name: hashlib.sha256(content).hexdigest() for name, content in contents.items()},
        "check": "python3 verify_chain.py THIS.zip",
    }
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        _add(archive, "manifest.json", json.dumps(manifest, ensure_ascii=False, indent=2, sort_keys=True).encode())
        _add(archive, "events.json", json.dumps(events, ensure_ascii=False, indent=1, sort_keys=True).encode())
        for name, content in contents.items():
            _add(archive, name, content)
        _add(archive, "verify_chain.py", SCRIPT.read_bytes())
    return buffer.getvalue()
