"""Monitoring signals (T-MONITOR): each signal of the low-income monitoring platform's export
starts the `monitoring_alert` process (workflows/monitoring/), once per signal.

The export is JSON lines, one signal an object with the fields of the process's start form
(forms/monitoring/signal.json) and the GB/T 2260 `region` of the person (the township whose staff
research it). A signal already imported is recognised by its business key
`JC-<signal_source>-<signal_id>` and not started twice, so a file may be imported again."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from engine.errors import Conflict, NotFound, ValidationFailed
from engine.service import Engine

PROCESS = "monitoring_alert"
ACTOR = "monitoring"  # who starts the case: the monitoring platform, not a person
MAX_LINE = 20_000


@dataclass
class SignalImport:
    """What one import did: cases started, signals already imported, lines refused (with why)."""

    started: list[str] = field(default_factory=list)
    already: list[str] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)


def start_signal(engine: Engine, signal: dict[str, Any]) -> tuple[str, bool]:
    """Start the monitoring case of one signal: (its business key, whether this call started it).
    Bad fields raise ValidationFailed naming them; nothing is stored then."""
    signal = dict(signal)
    region = signal.pop("region", None)
    if region is not None and not (isinstance(region, str) and region.isdigit() and len(region) in (6, 9, 12)):
        raise ValidationFailed("region must be a GB/T 2260 code of 6, 9 or 12 digits", {"fields": {"region": ["code"]}})
    source, ident = signal.get("signal_source"), signal.get("signal_id")
    if not isinstance(source, str) or not isinstance(ident, str) or not source or not ident:
        raise ValidationFailed("signal_source and signal_id are required",
                               {"fields": {k: ["required"] for k in ("signal_source", "signal_id")
                                           if not isinstance(signal.get(k), str) or not signal.get(k)}})
    key = f"JC-{source}-{ident}"
    instance, created = engine.start_once(PROCESS, signal, key, ACTOR, region=region)
    return instance.business_key or key, created


def import_signals(engine: Engine, path: Path) -> SignalImport:
    """Import a JSON-lines export; a bad line is reported by its number and does not stop the others."""
    result = SignalImport()
    for number, line in enumerate(path.read_text("utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            if len(line) > MAX_LINE:
                raise ValidationFailed(f"line longer than {MAX_LINE} characters", {})
            signal = json.loads(line)
            if not isinstance(signal, dict):
                raise ValidationFailed("a signal is a JSON object", {})
            key, created = start_signal(engine, signal)
        except json.JSONDecodeError as err:
            result.refused.append(f"line {number}: not JSON ({err.msg})")
        except (ValidationFailed, Conflict, NotFound) as err:
            fields = ", ".join(sorted((err.details or {}).get("fields", {})))
            result.refused.append(f"line {number}: {err}" + (f" [{fields}]" if fields else ""))
        else:
            (result.started if created else result.already).append(key)
    return result
