#!/usr/bin/env python3
"""Check a case's audit export offline, without the database (X-AUDIT).

Standard library only: an auditor runs it anywhere with Python 3.9+ as
`python3 verify_chain.py CASE.zip` (or on the unpacked folder). It recomputes the SHA-256
hash chain of the case's events exactly as the engine does (engine/audit/log.py), checks
that the chain ends at the head the manifest names and that every file of the definition
version matches the digest the manifest records. Exit 0 and one line "OK ..." when all
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
    for name, digest in sorted((manifest.get("files") or {}).items()):
        try:
            content = read(name)
        except (KeyError, FileNotFoundError):
            return False, f"FAILED: file {name} is missing"
        if hashlib.sha256(content).hexdigest() != digest:
            return False, f"FAILED: file {name} was changed: its digest does not match the manifest"
    return True, (f"OK {manifest.get('instance_id')}: {len(events)} events, chain intact, head {prev[:12]}, "
                  f"{len(manifest.get('files') or {})} definition files of {manifest.get('definition')} intact")


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print("usage: verify_chain.py CASE.zip|FOLDER", file=sys.stderr)
        return 2
    ok, line = check(argv[1])
    print(line, file=sys.stdout if ok else sys.stderr)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
