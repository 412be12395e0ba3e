"""Printable notices of a case as PDF (WeasyPrint, Noto CJK fonts): the acceptance receipt
(受理回执), the one-time notice of missing materials (J-ONCE, 一次性告知书), the
supplementary-documents notice (W-URGENT, 补证通知书) and the notice of non-acceptance or
non-approval with its policy basis (W-REFUSE). The templates are files a county edits
(notices/*.html, RELIEF_NOTICES_ROOT), rendered in Jinja's sandbox with autoescaping: an
edited template can word the notice, not reach into the server."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jinja2 import FileSystemLoader, select_autoescape
from jinja2.sandbox import SandboxedEnvironment

from engine.errors import Conflict, NotFound

SHANGHAI = dt.timezone(dt.timedelta(hours=8))
WEEKDAYS = "一二三四五六日"
# Where a case's data gives the reason of a refusal, by form (forms/*/…): first found wins.
REFUSAL_FIELDS = ("refusal_basis", "refusal_reason", "decline_reason", "ineligible_reason", "duplicate_note")


@dataclass(frozen=True)
class Kind:
    template: str
    title: str
    requirement: str


KINDS = {
    "receipt": Kind("receipt.html", "受理回执", "J-ACCEPT"),
    "missing-materials": Kind("missing_materials.html", "一次性告知书", "J-ONCE"),
    "supplement": Kind("supplement.html", "补证通知书", "W-URGENT"),
    "refusal": Kind("refusal.html", "不予受理（不予批准）通知书", "W-REFUSE"),
}


def chinese_date(when: dt.datetime) -> str:
    local = when.astimezone(SHANGHAI)
    return f"{local.year}年{local.month}月{local.day}日"


def refusal_reason(data: dict[str, Any]) -> str | None:
    """Why the case was refused, as its forms recorded it; a department's written decision
    counts when it did not approve."""
    for name in REFUSAL_FIELDS:
        if isinstance(data.get(name), str) and data[name].strip():
            return data[name].strip()
    if data.get("department_approved") in ("no", False) and isinstance(data.get("department_decision"), str):
        return data["department_decision"].strip() or None
    return None


def context(kind: str, facts: dict[str, Any], labels: dict[str, str], office: str) -> dict[str, Any]:
    """What the template of `kind` is given; 409 when the case has nothing to notify of that kind."""
    data = facts["data"]
    missing = facts["missing"]
    if kind in ("missing-materials", "supplement") and not (missing or data.get("missing_materials")):
        raise Conflict("the case lacks no material: every checklist item is provided and no missing materials"
                       " are recorded", {"kind": kind})
    reason = refusal_reason(data)
    if kind == "refusal" and reason is None:
        raise Conflict("the case records no reason of non-acceptance or non-approval", {"kind": kind})
    instance = facts["instance"]
    aid_types = [labels.get(a, a) for a in (data.get("aid_types") or data.get("accepted_aid_types") or [])
                 if isinstance(a, str)]
    return {"title": KINDS[kind].title, "case": instance, "process": facts["process"], "data": data,
            "missing": missing, "reason": reason, "aid_types": aid_types, "office": office,
            "started": chinese_date(instance.started_at), "today": chinese_date(facts["now"])}


def render_pdf(root: Path, kind: str, facts: dict[str, Any], labels: dict[str, str],
               office: str = "社会救助服务窗口") -> bytes:
    """The notice `kind` of the case `facts` describes (Engine.notice_facts), as PDF bytes."""
    if kind not in KINDS:
        raise NotFound(f"no notice '{kind}'; one of: {', '.join(KINDS)}", {"kind": kind})
    from weasyprint import HTML  # imported when a notice is printed: it loads Pango

    env = SandboxedEnvironment(loader=FileSystemLoader(str(root)), autoescape=select_autoescape(default=True))
    html = env.get_template(KINDS[kind].template).render(**context(kind, facts, labels, office))
    # No base_url: a template cannot make the server fetch anything.
    return HTML(string=html, url_fetcher=_no_fetch).write_pdf()


def _no_fetch(url: str, *args: Any, **kwargs: Any) -> dict[str, Any]:
    raise ValueError(f"notices load nothing from outside ({url})")
