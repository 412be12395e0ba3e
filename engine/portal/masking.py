"""What a public notice may show of a person (J-PUBLIC: within what privacy rules allow)."""

from __future__ import annotations


def mask_name(name: str) -> str:
    """The family name and one star per other character: 张三 → 张*, 欧阳明月 → 欧***
    (a two-character family name is shown as its first character only)."""
    name = name.strip()
    if not name:
        return "*"
    return name[0] + "*" * max(1, len(name) - 1)
