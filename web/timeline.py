"""A case's audit events as a timeline people read: who did what, when, and at which step
of the diagram (the element's name). The events come masked from the engine
(`Engine.case_events`); this module only words them."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from flask_babel import gettext

from web.i18n import lazy_text as _l

# The engine's command names (engine/runtime/commands) in the page's language.
COMMANDS = {
    "start_instance": _l("受理申请，案件开始"), "hotline_intake": _l("12345 工单转入，案件开始"),
    "claim_task": _l("认领任务"), "unclaim_task": _l("退回任务"), "complete_task": _l("办理完成"),
    "correlate_message": _l("收到消息"), "fire_timer": _l("期限届满"), "cancel_instance": _l("撤销案件"),
    "complete_job": _l("系统处理完成"), "fail_job": _l("系统处理失败"), "bpmn_error": _l("业务异常"),
    "retry_incident": _l("重新处理"), "queue_job": _l("排入系统处理"), "keep_record": _l("记录台账"),
    "notification_sent": _l("短信已发送"), "queue_hotline_status": _l("回告 12345 平台"),
    "recompute_deadlines": _l("重算期限"), "timer_incident": _l("期限处理出错"),
    "retry_timer_incident": _l("重新处理期限"), "add_comment": _l("添加意见"),
    "migrate_instance": _l("迁移到新版本流程"),
}


@dataclass(frozen=True)
class Entry:
    """One line of the timeline."""

    at: dt.datetime
    actor: str
    action: str
    step: str  # the diagram element's name ("" when the event names none)
    note: str  # a reason, a message name, a comment


def timeline(events: list[dict[str, Any]], names: dict[str, str]) -> list[Entry]:
    """The entries of `events` (oldest first), with element ids as their diagram names."""
    out = []
    for e in events:
        data = e.get("input") or {}
        element = data.get("element") if isinstance(data.get("element"), str) else None
        step = (names.get(element) or element) if element else ""
        note = ""
        if isinstance(data.get("reason"), str):
            note = data["reason"]
        elif isinstance(data.get("message"), str) and e["command"] == "correlate_message":
            note = gettext("消息：%(m)s", m=data["message"])
        elif isinstance(data.get("text"), str):
            note = data["text"]
        elif e["command"] == "migrate_instance" and isinstance(data.get("to"), str):
            note = gettext("从 %(a)s 迁移到 %(b)s", a=data.get("from"), b=data["to"])
            if isinstance(data.get("mapping"), dict) and data["mapping"]:
                note += gettext("；元素映射：%(m)s", m="、".join(f"{a} → {b}" for a, b in data["mapping"].items()))
        label = COMMANDS.get(e["command"])
        out.append(Entry(e["at"], e["actor"], str(label) if label else e["command"], step, note))
    return out
