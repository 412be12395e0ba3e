"""The set of files one deployment is made of, read from paths or from an upload."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from engine.definitions.xml_safety import problem
from engine.errors import DefinitionInvalid

MAX_FILES = 200
MAX_NAME = 255  # the deployment_files column
KINDS = {".bpmn": "bpmn", ".dmn": "dmn", ".json": "form"}
# In a folder given to `read_paths` (a version downloaded from the designer), the forms
# under this sub-folder are deployed with it, named by their path below it (the form key).
FORMS_DIR = "forms"


@dataclass(frozen=True)
class BundleFile:
    """One file of a deployment. Forms are named by their form key (`jiangyin/accept.json`)."""

    name: str
    kind: str
    content: bytes

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.content).hexdigest()


def safe_name(name: str) -> str:
    """A relative POSIX path without `..`; anything else is refused."""
    path = PurePosixPath(name.replace("\\", "/"))
    if len(name) > MAX_NAME:
        raise DefinitionInvalid(f"file name '{name[:80]}…' is longer than {MAX_NAME} characters",
                                {"problems": [problem(name[:80], f"file name longer than {MAX_NAME} characters")]})
    if not name or path.is_absolute() or ".." in path.parts or any(p.startswith(".") for p in path.parts):
        raise DefinitionInvalid(f"file name '{name}' is not a safe relative path",
                                {"problems": [problem(name, "file name must be a relative path without '..'")]})
    return str(path)


def bundle_file(name: str, content: bytes) -> BundleFile:
    """Classify an uploaded file by its extension."""
    name = safe_name(name)
    kind = KINDS.get(PurePosixPath(name).suffix.lower())
    if kind is None:
        raise DefinitionInvalid(f"{name}: only .bpmn, .dmn and form .json files can be deployed",
                                {"problems": [problem(name, "unsupported file type")]})
    return BundleFile(name, kind, content)


def read_paths(paths: list[Path]) -> list[BundleFile]:
    """BPMN and DMN files from files and directories (directories are searched recursively),
    and the forms of a directory's `forms/` sub-folder (a downloaded version)."""
    files: list[BundleFile] = []
    for path in paths:
        if not path.exists():
            raise DefinitionInvalid(f"{path} does not exist", {"problems": [problem(str(path), "no such file")]})
        found = sorted(p for p in path.rglob("*") if p.suffix in (".bpmn", ".dmn")) if path.is_dir() else [path]
        for p in found:
            files.append(bundle_file(p.name, p.read_bytes()))
        if path.is_dir() and (path / FORMS_DIR).is_dir():  # a downloaded version: its forms, by form key
            for p in sorted((path / FORMS_DIR).rglob("*.json")):
                files.append(bundle_file(p.relative_to(path / FORMS_DIR).as_posix(), p.read_bytes()))
    if len({f.name for f in files}) != len(files):
        raise DefinitionInvalid("two files of the deployment have the same name",
                                {"problems": [problem(f.name, "duplicate file name") for f in files]})
    if len(files) > MAX_FILES:
        raise DefinitionInvalid(f"a deployment holds at most {MAX_FILES} files")
    return files


def content_hash(files: list[BundleFile]) -> str:
    """Hash over kind, name and content of each file: identical content, identical hash."""
    digest = hashlib.sha256()
    for f in sorted(files, key=lambda f: (f.kind, f.name)):
        digest.update(f"{f.kind}\0{f.name}\0{f.sha256}\n".encode())
    return digest.hexdigest()
