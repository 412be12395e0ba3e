"""Materials of a case as the Engine offers them (mixed into `Engine`): upload a typed
file, list, download, the checklist the case's aid types require, and who uploaded or
downloaded what. Scope is the one rule (engine/auth/scope.py); an upload is an event in
the case's hash-chained history, a download (a read) an entry in the access log (J-SEC),
kept apart from the chain so that reading never contends with commands."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from engine.auth import Principal, personal
from engine.errors import Conflict, ValidationFailed
from engine.materials import checklist as checklists
from engine.materials import kinds
from engine.materials.by_item import ItemChecklist, by_item
from engine.materials.files import FileStore, MaterialStore
from engine.store.material_models import CaseMaterial
from engine.store.models import AccessLog, Instance

DOWNLOAD_PREFIX = "material:"


@dataclass
class MaterialsConfig:
    """Where files go, how large one may be, which checklist applies."""

    files: MaterialStore
    max_bytes: int = kinds.DEFAULT_MAX_BYTES
    checklist_path: Path = checklists.DEFAULT_PATH


@dataclass
class MaterialEntry:
    """One line of a case's materials log: an upload or a download."""

    at: dt.datetime
    actor: str
    action: str  # upload | download
    material_id: str
    filename: str


class MaterialsFace:
    """The materials commands and queries; `Engine` inherits them."""

    materials_config: MaterialsConfig | None = None

    def configure_materials(self, files_root: Path | MaterialStore, max_bytes: int = kinds.DEFAULT_MAX_BYTES,
                            checklist_path: Path = checklists.DEFAULT_PATH) -> None:
        """Where uploaded files are kept (a directory, var/files unless configured, or a store
        such as engine.materials.s3.S3FileStore), the size limit, the checklist file."""
        files = FileStore(files_root) if isinstance(files_root, (str, Path)) else files_root
        self.materials_config = MaterialsConfig(files, max_bytes, checklist_path)

    def _materials(self) -> MaterialsConfig:
        if self.materials_config is None:
            raise Conflict("no file store is configured for materials (Engine.configure_materials)")
        return self.materials_config

    def material_checklist_file(self) -> checklists.Checklist:
        return checklists.load(self._materials().checklist_path)

    # commands -------------------------------------------------------------------------
    def upload_material(self, who: Principal, instance_id: str, kind: str, filename: str | None,
                        content: bytes) -> CaseMaterial:
        """Store a PDF, JPEG or PNG (judged by content) for a case `who` may see and record it
        in the case's history. Refused before anything is stored: outside the scope (403),
        an unknown `kind`, an empty, oversized or disguised `file` (422 naming the field)."""
        from engine.runtime.commands import UploadMaterial

        config = self._materials()
        self.instance_for(who, instance_id)  # type: ignore[attr-defined] - scope first: nothing written for a stranger
        if kind not in self.material_checklist_file().kinds():
            raise ValidationFailed(f"kind '{kind}' is not a material of the checklist",
                                   {"fields": {"kind": ["not a material of the checklist"]}})
        media_type = kinds.check(content, filename, config.max_bytes)
        sha = config.files.put(content)
        return self.executor.run(  # type: ignore[attr-defined]
            UploadMaterial(instance_id, who, kind, kinds.clean_name(filename), media_type, len(content), sha),
            who.username)

    # reads ---------------------------------------------------------------------------
    def materials_for(self, who: Principal, instance_id: str) -> list[CaseMaterial]:
        """The materials of a case `who` may see, oldest first."""
        return self.materials_of_case(self.instance_for(who, instance_id))  # type: ignore[attr-defined]

    def materials_of_case(self, instance: Instance) -> list[CaseMaterial]:
        """The materials of a case the caller has already read within the reader's scope
        (`instance_for`, `case_track`): the case page reads and checks the case once."""
        with self.db.reading() as s:  # type: ignore[attr-defined]
            return list(s.scalars(sa.select(CaseMaterial).where(CaseMaterial.instance_id == instance.id)
                                  .order_by(CaseMaterial.uploaded_at, CaseMaterial.id)))

    def checklist_of_case(self, materials: list[CaseMaterial], aid_types: list[str]) -> list[checklists.Item]:
        """The checklist of a case already read in scope: its aid types' materials, each with
        how many of `materials` were uploaded."""
        provided: dict[str, int] = {}
        for row in materials:
            provided[row.kind] = provided.get(row.kind, 0) + 1
        return self.material_checklist_file().items(aid_types, provided)

    def checklist_by_item_of_case(self, materials: list[CaseMaterial], aid_types: list[str]) -> list[ItemChecklist]:
        """The checklist of a case already read in scope, per aid item applied for (J-ITEMS):
        each item's materials from the item list, with how many of `materials` are of its kind."""
        provided: dict[str, int] = {}
        for row in materials:
            provided[row.kind] = provided.get(row.kind, 0) + 1
        return by_item(self.item_list(), aid_types, provided)  # type: ignore[attr-defined]

    def material_checklist_by_item(self, who: Principal, instance_id: str,
                                   materials: list[CaseMaterial] | None = None) -> list[ItemChecklist]:
        """The checklist per aid item of the case `instance_id` (within `who`'s scope)."""
        instance = self.instance_for(who, instance_id)  # type: ignore[attr-defined]
        rows = self.materials_of_case(instance) if materials is None else materials
        aid_types = checklists.case_aid_types(self.case_data(instance))  # type: ignore[attr-defined]
        return self.checklist_by_item_of_case(rows, aid_types)

    def material_download(self, who: Principal, instance_id: str, material_id: str) -> tuple[CaseMaterial, bytes]:
        """A material's row and content (checked against its SHA-256); the download is logged."""
        from engine.errors import NotFound

        self.instance_for(who, instance_id)  # type: ignore[attr-defined]
        with self.db.reading() as s:  # type: ignore[attr-defined]
            row = s.get(CaseMaterial, material_id)
        if row is None or row.instance_id != instance_id:
            raise NotFound(f"material {material_id} does not exist in case {instance_id}", {"material": material_id})
        content = self._materials().files.get(row.sha256)
        self.log_access(who.username, f"{DOWNLOAD_PREFIX}{row.id}", instance_id,  # type: ignore[attr-defined]
                        ["material"])
        return row, content

    def material_checklist(self, who: Principal, instance_id: str,
                           materials: list[CaseMaterial] | None = None) -> list[checklists.Item]:
        """The materials the case's aid types require, each with how many were uploaded."""
        instance = self.instance_for(who, instance_id)  # type: ignore[attr-defined]
        rows = self.materials_of_case(instance) if materials is None else materials
        aid_types = checklists.case_aid_types(self.case_data(instance))  # type: ignore[attr-defined]
        return self.checklist_of_case(rows, aid_types)

    def material_log_for(self, who: Principal, instance_id: str) -> list[MaterialEntry]:
        """Every upload and download of the case's materials, oldest first."""
        rows = self.materials_for(who, instance_id)
        names = {r.id: r.filename for r in rows}
        out = [MaterialEntry(r.uploaded_at, r.uploaded_by, "upload", r.id, r.filename) for r in rows]
        with self.db.reading() as s:  # type: ignore[attr-defined]
            for log in s.scalars(sa.select(AccessLog).where(AccessLog.instance_id == instance_id,
                                                            AccessLog.resource.startswith(DOWNLOAD_PREFIX))):
                material_id = log.resource[len(DOWNLOAD_PREFIX):]
                out.append(MaterialEntry(log.at, log.actor, "download", material_id, names.get(material_id, "")))
        return sorted(out, key=lambda e: (e.at, e.action != "upload"))

    def notice_facts(self, who: Principal, instance_id: str) -> dict[str, Any]:
        """What a printed notice says about a case: its key, process, region, dates, the
        case data with ID numbers and phones masked (a notice is handed over and filed),
        and the checklist's materials not yet provided."""
        instance: Instance = self.instance_for(who, instance_id)  # type: ignore[attr-defined]
        data = personal.masked(self.case_data(instance))  # type: ignore[attr-defined]
        missing = [item for item in self.material_checklist(who, instance_id) if not item.provided]
        return {"instance": instance, "process": instance.definition.key, "data": data,
                "missing": missing, "now": self.clock.now()}  # type: ignore[attr-defined]
