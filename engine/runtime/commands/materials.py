"""Record a material uploaded to a case: one row naming the stored file, and one event
in the case's hash-chained history (who, when, which file, its SHA-256)."""

from __future__ import annotations

from dataclasses import dataclass

from engine.auth import Principal, scope
from engine.errors import Forbidden
from engine.runtime.context import CommandContext
from engine.store.material_models import CaseMaterial
from engine.store.models import Instance


@dataclass
class UploadMaterial:
    """The file is already in the file store (by `sha256`); this makes it the case's."""

    instance_id: str
    who: Principal
    kind: str
    filename: str
    media_type: str
    size: int
    sha256: str
    name: str = "upload_material"

    def execute(self, ctx: CommandContext) -> CaseMaterial:
        # The case row locked first, as every command on a case does: the history's next
        # event number is this command's alone.
        row = ctx.require(Instance, self.instance_id, "instance", lock=True)
        if not scope.sees_instance(ctx.session, self.who, row):
            raise Forbidden(f"instance {row.id} is outside your scope ({scope.describe(self.who)})",
                            {"instance": row.id})
        material = CaseMaterial(instance_id=row.id, kind=self.kind, filename=self.filename,
                                media_type=self.media_type, size=self.size, sha256=self.sha256,
                                uploaded_by=self.who.username, uploaded_at=ctx.now)
        ctx.session.add(material)
        ctx.session.flush()
        ctx.record(row, self.name, {"material": material.id, "kind": self.kind, "filename": self.filename,
                                    "media_type": self.media_type, "size": self.size, "sha256": self.sha256})
        return material
