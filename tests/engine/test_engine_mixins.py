"""The engine's public face is assembled from mixins (reads, work list, saved views, audit,
portal, designer): a name defined by two of them would silently shadow one (the designer's
drafts once hid the work list's)."""
from __future__ import annotations

import inspect

from engine.service import Engine


def test_no_two_parts_of_the_engine_define_the_same_method() -> None:
    owners: dict[str, list[str]] = {}
    for part in Engine.__mro__[:-1]:
        for name, value in vars(part).items():
            if not name.startswith("__") and inspect.isfunction(value):
                owners.setdefault(name, []).append(part.__name__)
    clashes = {name: parts for name, parts in owners.items() if len(parts) > 1}
    assert clashes == {}, f"defined more than once: {clashes}"
