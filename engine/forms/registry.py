"""Forms under a root folder (`forms/`), looked up by form key such as `jiangyin/accept.json`."""

from __future__ import annotations

import threading
from pathlib import Path, PurePosixPath

from engine.errors import DefinitionInvalid, NotFound
from engine.forms.definition import FormDefinition, load_form


def _refuse(key: str, message: str) -> DefinitionInvalid:
    return DefinitionInvalid(f"form key {key!r}: {message}",
                             {"problems": [{"file": key, "element": None, "line": None, "message": message}]})


class FormRegistry:
    """Loads and caches the form definitions below `root`.

    A definition is reloaded when its file's modification time or size changes, so
    a designer's edit is picked up without a restart.
    """

    def __init__(self, root: Path) -> None:
        self.root = Path(root).resolve()
        self._cache: dict[Path, tuple[tuple[int, int], FormDefinition]] = {}
        self._lock = threading.Lock()

    def path_of(self, key: str) -> Path:
        """The file of form key `key`; DefinitionInvalid if the key would leave the root."""
        if not isinstance(key, str) or not key.strip():
            raise _refuse(str(key), "a form key must be a non-empty relative path")
        if "\\" in key or "\x00" in key or ":" in key:
            raise _refuse(key, "a form key may not contain backslashes, colons or NUL")
        pure = PurePosixPath(key)
        if pure.is_absolute() or ".." in pure.parts:
            raise _refuse(key, "a form key must be a relative path inside the forms folder")
        if pure.suffix != ".json":
            raise _refuse(key, "a form key must name a .json file")
        path = (self.root / pure).resolve()
        # a symlink may still point outside the root: check where it really leads
        if not path.is_relative_to(self.root):
            raise _refuse(key, "a form key must be a relative path inside the forms folder")
        return path

    def get(self, key: str) -> FormDefinition:
        """The checked definition of form `key` (NotFound if there is no such file)."""
        path = self.path_of(key)
        try:
            stat = path.stat()
        except OSError:
            raise NotFound(f"form {key} does not exist", {"form": key}) from None
        if not path.is_file():
            raise NotFound(f"form {key} does not exist", {"form": key})
        stamp = (stat.st_mtime_ns, stat.st_size)
        with self._lock:
            cached = self._cache.get(path)
            if cached is not None and cached[0] == stamp:
                return cached[1]
        defn = load_form(path, file=key)
        with self._lock:
            self._cache[path] = (stamp, defn)
        return defn

    def keys(self) -> list[str]:
        """Every form key below the root, sorted."""
        return sorted(p.relative_to(self.root).as_posix() for p in self.root.rglob("*.json") if p.is_file())
