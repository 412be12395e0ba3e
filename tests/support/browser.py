"""A real browser for the UI tests: Debian's Chromium driven by Playwright, when installed.

Playwright's own browser download does not work on our machines, so the tests use the
distribution's Chromium; .ci/run installs it, a developer machine without it skips."""

from __future__ import annotations

import functools
import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from lxml import etree

from engine.definitions.lint import FLOW_NODES, NS

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_HINT = (f"Browser tests are skipped: {CHROMIUM} is missing; install it with "
                 "`apt-get install -y --no-install-recommends chromium fonts-noto-cjk` (.ci/run does)")


class _StaticHandler(SimpleHTTPRequestHandler):
    """Serves one page at / and the app's own /static/ files, as the app does, nothing else."""

    page: bytes = b""

    def do_GET(self) -> None:
        if self.path == "/":
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(self.page)))
            self.end_headers()
            self.wfile.write(self.page)
        elif self.path.startswith("/static/"):
            super().do_GET()  # translate_path drops ".." segments: nothing outside api/ is served
        else:
            self.send_error(404)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base class's name
        pass  # a line per asset would bury pytest's output


@contextmanager
def static_server(api_dir: Path, page: Path) -> Iterator[str]:
    """Serve `page` at / and `api_dir`/static at /static/ on a free local port; yield the base URL."""
    handler = type("Handler", (_StaticHandler,), {"page": page.read_bytes()})
    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(handler, directory=str(api_dir)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@dataclass
class Drawing:
    """What bpmn-js made of one diagram: its import error or warnings, and the elements it drew."""

    error: str | None
    warnings: list[str]
    elements: list[dict[str, Any]] = field(default_factory=list)

    @property
    def drawn_ids(self) -> set[str]:
        """Ids of the BPMN elements that have a shape or connection with a visible size."""
        return {e["id"] for e in self.elements if e["width"] > 0 or e["height"] > 0}


def flow_element_ids(xml: bytes) -> set[str]:
    """Ids of every flow node and sequence flow of the processes: what a designer must see."""
    root = etree.fromstring(xml, etree.XMLParser(resolve_entities=False, no_network=True))
    query = " | ".join(f"//bpmn:process//bpmn:{tag}" for tag in (*FLOW_NODES, "sequenceFlow"))
    return {node.get("id") for node in root.xpath(query, namespaces=NS)}


def all_ids(xml: bytes) -> set[str]:
    """Every id in a document, semantic and DI alike."""
    root = etree.fromstring(xml, etree.XMLParser(resolve_entities=False, no_network=True))
    return set(root.xpath("//@id"))


def semantic_content(xml: bytes) -> Counter[tuple[str | None, str, tuple[tuple[str, str], ...], str]]:
    """Every element outside the DI as (id of its nearest identified ancestor, tag, attributes, text).

    Layout-free, so a save that only re-indents or moves shapes compares equal, while one that
    drops an element without an id of its own (e.g. a loopDataInputRef) does not."""
    root = etree.fromstring(xml, etree.XMLParser(resolve_entities=False, no_network=True))
    content: Counter[tuple[str | None, str, tuple[tuple[str, str], ...], str]] = Counter()
    for el in root.iter(etree.Element):
        if el.xpath("ancestor-or-self::bpmndi:BPMNDiagram", namespaces=NS):
            continue
        owner = next((a.get("id") for a in el.iterancestors() if a.get("id")), None)
        content[(owner, el.tag, tuple(sorted(el.attrib.items())), (el.text or "").strip())] += 1
    return content


def undrawn(xml: bytes, drawing: Drawing) -> list[str]:
    """Flow nodes and sequence flows of `xml` that bpmn-js did not draw, sorted."""
    return sorted(flow_element_ids(xml) - drawing.drawn_ids)
