"""Small builders for engine tests: the mini diagram and its form as a bundle."""

from __future__ import annotations

from pathlib import Path

from engine.definitions.bundle import BundleFile

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"


def mini_xml(key: str = "mini_case") -> str:
    """The mini diagram; a test that counts versions passes a process key of its own."""
    return (FIXTURES / "mini.bpmn").read_text("utf-8").replace("mini_case", key)


def unique_key(prefix: str = "mini") -> str:
    import uuid

    return f"{prefix}_{uuid.uuid4().hex[:8]}"


def mini_bundle(xml: str | None = None) -> list[BundleFile]:
    return [
        BundleFile("mini.bpmn", "bpmn", (xml or mini_xml()).encode()),
        BundleFile("mini/review.json", "form", (FIXTURES / "forms/mini/review.json").read_bytes()),
    ]
