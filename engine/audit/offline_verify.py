#!/usr/bin/env python3
"""Check a case's audit export offline, without the database (X-AUDIT).

Standard library only: an auditor runs it anywhere with Python 3.9+ as
`python3 verify_chain.py CASE.zip` (or on the unpacked folder). It recomputes the SHA-256
hash chain of the case's events exactly as the engine does (engine/audit/log.py), checks
that the chain ends at the head the manifest names, that every file (the definition
version's, seals.json, history.pdf) matches the digest the manifest records, and that each
seal covering the case (seals.json) still has its own hash, follows the seal before it, and
that the events still reach the head it sealed: a case cut short or rewritten after a
seal fails naming the seal (engine/audit/seals.py). Exit 0 and one line "OK ..." when all
holds; exit 1 and one line naming the first event or file that differs otherwise.

Personal values (ID numbers, phones, bank accounts) are in the export as the commitments
the hashes cover ("sealed:..."), never in clear."""

from __future__ import annotations

import hashlib
import json
import sys
import zipfile
from collections.abc import Callable
from pathlib import Path

GENESIS = "0" * 64


def event_hash(prev_hash: str, event: dict) -> str:
    """SHA-256 over the previous hash and the canonical JSON of the event."""
    body = json.dumps([event["instance_id"], event["seq"], event["command"], event["actor"], event["at"],
                       event["input"], event["changes"]],
                      sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)
    return hashlib.sha256((prev_hash + body).encode()).hexdigest()


def seal_hash(seal: dict) -> str:
    """A seal's own hash, as engine/audit/seals.py computes it."""
    body = json.dumps([seal["seq"], seal["sealed_at"], seal["cases"], seal["digest"]], separators=(",", ":"))
    return hashlib.sha256((seal["prev_hash"] + body).encode()).hexdigest()


def check_seals(seals: list, events: list, instance_id: str) -> str | None:
    """The first problem of the seals covering the case against its events; None when all holds."""
    previous = None
    for seal in seals:
        name = f"seal {seal.get('seq')} of {seal.get('sealed_at')}"
        try:
            if seal_hash(seal) != seal.get("hash"):
                return f"FAILED: {name} was changed: its hash does not match"
        except (KeyError, TypeError):
            return f"FAILED: {name} lacks a field"
        if previous is not None and seal["seq"] == previous["seq"] + 1 and seal["prev_hash"] != previous["hash"]:
            return f"FAILED: {name} does not follow seal {previous['seq']}"
        previous = seal
        case, seq, digest = (list(seal.get("head") or []) + [None, None, None])[:3]
        if case != instance_id:
            return f"FAILED: {name} seals another case ({case})"
        if not isinstance(seq, int) or seq > len(events):
            return f"FAILED: events {len(events) + 1}-{seq} were cut off after {name} (ends at event {len(events)})"
        if events[seq - 1].get("hash") != digest:
            return f"FAILED: event {seq} differs from its hash in {name}"
    return None


def _reader(path: str | Path) -> Callable[[str], bytes]:
    """A function name -> bytes over the zip file or the unpacked folder."""
    path = Path(path)
    if path.is_dir():
        return lambda name: (path / name).read_bytes()
    archive = zipfile.ZipFile(path)
    return archive.read


def check(path: str | Path) -> tuple[bool, str]:
    """(ok, line): the export at `path` checked."""
    read = _reader(path)
    try:
        manifest = json.loads(read("manifest.json"))
        events = json.loads(read("events.json"))
    except (KeyError, FileNotFoundError, ValueError) as err:
        return False, f"FAILED: the export lacks or garbles manifest.json or events.json ({err})"
    prev = GENESIS
    for expected, event in enumerate(events, start=1):
        if event.get("seq") != expected:
            return False, f"FAILED: event {expected} is missing (found seq {event.get('seq')})"
        if event.get("instance_id") != manifest.get("instance_id"):
            return False, f"FAILED: event {expected} belongs to another case ({event.get('instance_id')})"
        if event.get("prev_hash") != prev:
            return False, f"FAILED: event {expected} ({event.get('command')}) does not follow event {expected - 1}"
        if event_hash(prev, event) != event.get("hash"):
            return False, f"FAILED: event {expected} ({event.get('command')}) was changed: its hash does not match"
        prev = event["hash"]
    if len(events) != manifest.get("events") or prev != manifest.get("head"):
        return False, (f"FAILED: the chain ends at event {len(events)} with head {prev[:12]}, the manifest "
                       f"names {manifest.get('events')} events and head {str(manifest.get('head'))[:12]}")
    files = manifest.get("files") or {}
    seals: list = []
    if "seals.json" in files:
        try:
            seals = json.loads(read("seals.json"))
        except (KeyError, FileNotFoundError, ValueError) as err:
            return False, f"FAILED: the export lacks or garbles seals.json ({err})"
        problem = check_seals(seals, events, manifest.get("instance_id"))
        if problem:
            return False, problem
        if len(seals) != manifest.get("seals"):
            return False, f"FAILED: seals.json holds {len(seals)} seals, the manifest names {manifest.get('seals')}"
    for name, digest in sorted(files.items()):
        try:
            content = read(name)
        except (KeyError, FileNotFoundError):
            return False, f"FAILED: file {name} is missing"
        if hashlib.sha256(content).hexdigest() != digest:
            return False, f"FAILED: file {name} was changed: its digest does not match the manifest"
    definition_files = sum(name.startswith("definition/") for name in files)
    return True, (f"OK {manifest.get('instance_id')}: {len(events)} events, chain intact, head {prev[:12]}, "
                  f"{len(seals)} seal(s) covering it hold, "
                  f"{definition_files} definition files of {manifest.get('definition')} intact")


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print("usage: verify_chain.py CASE.zip|FOLDER", file=sys.stderr)
        return 2
    ok, line = check(argv[1])
    print(line, file=sys.stdout if ok else sys.stderr)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
