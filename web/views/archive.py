"""The household file (一户一档, T-ARCHIVE): /cases/<id>/household shows every case of the
household of case <id> the reader may see (every process), their steps, materials and
notices, personal data masked; /cases/<id>/household.pdf is the same file to print and
keep (WeasyPrint, loading nothing from outside). Reached from a case: the reader's scope
on that case (404/403) and on each of the household's cases is the case page's."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template
from werkzeug.wrappers import Response

from api.attachments import attachment
from api.notices import KINDS
from api.security import STAFF, current_principal, rule
from engine.archive import HouseholdFile, household_file
from web.pages import engine

blp = Blueprint("archive", __name__, url_prefix="/cases")
NOTICE_ROLES = ("clerk", "dispatcher", "caseworker", "leader")


def _file(instance_id: str) -> HouseholdFile:
    return household_file(engine(), current_principal(), instance_id)


def _context(found: HouseholdFile) -> dict[str, Any]:
    labels = {key: pair[0] for key, pair in engine().material_checklist_file().labels().items()}
    aid_labels = {key: entry.get("label", key) for key, entry in engine().material_checklist_file().aid_types.items()}
    return {"household": found, "labels": labels, "aid_labels": aid_labels, "notices": KINDS,
            "may_print": current_principal().has_role(*NOTICE_ROLES)}


@blp.get("/<instance_id>/household")
@rule(*STAFF, "auditor")
def page(instance_id: str) -> str:
    """The household file of the case's applicant, within the reader's scope."""
    return render_template("archive/household.html", **_context(_file(instance_id)))


@blp.get("/<instance_id>/household.pdf")
@rule(*STAFF, "auditor")
def export(instance_id: str) -> Response:
    """The household file as a PDF to print and keep (一户一册)."""
    from weasyprint import HTML  # loaded when a file is printed: it loads Pango

    found = _file(instance_id)
    html = render_template("archive/household_print.html", **_context(found))
    pdf = HTML(string=html, url_fetcher=_no_fetch).write_pdf()
    anchor = next((c.instance for c in found.cases if c.instance.id == found.anchor_id), None)
    name = (anchor.business_key if anchor is not None and anchor.business_key else instance_id)
    return attachment(pdf, "application/pdf", f"一户一档-{name}.pdf")


def _no_fetch(url: str, *args: Any, **kwargs: Any) -> dict[str, Any]:
    raise ValueError(f"the household file loads nothing from outside ({url})")
