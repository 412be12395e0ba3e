"""XML parsing with external entities, DTDs and network access off, and a size limit."""

from __future__ import annotations

from lxml import etree

from engine.errors import DefinitionInvalid

MAX_XML_BYTES = 5 * 1024 * 1024

_PARSER = etree.XMLParser(
    resolve_entities=False,
    no_network=True,
    load_dtd=False,
    dtd_validation=False,
    huge_tree=False,
    remove_blank_text=False,
)


def problem(file: str, message: str, element: str | None = None, line: int | None = None) -> dict:
    """One entry of `DefinitionInvalid.details['problems']`."""
    return {"file": file, "element": element, "line": line, "message": message}


def parse_xml(content: bytes, file: str) -> etree._Element:
    """Parse `content` safely; any DOCTYPE (and so any entity) is refused outright."""
    if len(content) > MAX_XML_BYTES:
        raise DefinitionInvalid(
            f"{file} is larger than {MAX_XML_BYTES} bytes",
            {"problems": [problem(file, f"file is larger than {MAX_XML_BYTES} bytes")]},
        )
    head = content[:4096].lower()
    if b"<!doctype" in head or b"<!entity" in content.lower():
        raise DefinitionInvalid(
            f"{file}: DOCTYPE and entity declarations are not allowed",
            {"problems": [problem(file, "DOCTYPE and entity declarations are not allowed", line=1)]},
        )
    try:
        root = etree.fromstring(content, parser=_PARSER)
    except etree.XMLSyntaxError as err:
        line = err.position[0] if err.position else None
        raise DefinitionInvalid(
            f"{file} is not well-formed XML: {err.msg}",
            {"problems": [problem(file, f"not well-formed XML: {err.msg}", line=line)]},
        ) from err
    if root.getroottree().docinfo.doctype:
        raise DefinitionInvalid(
            f"{file}: DOCTYPE is not allowed", {"problems": [problem(file, "DOCTYPE is not allowed")]}
        )
    return root
