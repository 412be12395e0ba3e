"""What the designer pages hand their module and templates (issue 13): the module's texts,
a simulation as JSON, the rows of a diff; all in the page's language."""

from __future__ import annotations

import datetime as dt
import json
import re
from typing import Any

from flask_babel import gettext

from engine.calendar import SHANGHAI
from engine.definitions.diff import Change
from engine.definitions.file_diff import FileChange
from engine.definitions.simulate import Simulation
from engine.errors import ValidationFailed
from web.i18n import datetime_filter
from web.i18n import lazy_text as _l

CHANGES = {"added": _l("新增"), "removed": _l("删除"), "changed": _l("修改")}
TONES = {"added": "success", "removed": "danger", "changed": "warning"}
ASPECTS = {"kind": _l("类型"), "name": _l("名称"), "source": _l("起点"), "target": _l("终点"),
           "condition": _l("条件"), "attributes": _l("属性"), "definition": _l("设置（表单、候选组、定时、脚本等）")}
OUTCOMES = {"met": _l("按时完成"), "missed": _l("超期（定时已触发）"), "waited": _l("等待到期后继续"),
            "waiting": _l("未到期（模拟停止时仍在等待）")}


def lint_texts() -> dict[str, str]:
    """The words the designer module shows (status line, lists, buttons)."""
    return {
        "checking": gettext("正在检查…"), "ok": gettext("检查通过：可以部署。"),
        "problems": gettext("发现 %(n)s 处问题。", n="{n}"), "unsaved": gettext("有未保存的修改"),
        "saving": gettext("正在保存…"), "saved": gettext("草稿已保存（%(t)s）", t="{time}"),
        "save_failed": gettext("保存失败：%(e)s", e="{error}"), "lint_failed": gettext("检查失败：%(e)s", e="{error}"),
        "load_failed": gettext("流程图无法打开：%(e)s", e="{error}"), "whole": gettext("整个文件"),
        "simulating": gettext("正在模拟…"), "sim_failed": gettext("模拟失败：%(e)s", e="{error}"),
        "sim_invalid": gettext("流程图有问题，无法模拟：请先改正检查列表中的问题。"),
        "data_invalid": gettext("开始数据必须是 JSON 对象，例如 {\"approved\": \"yes\"}"),
        "task_data_invalid": gettext("各环节填写的数据必须是 JSON 对象，按元素标识，"
                                     "例如 {\"Task_Review\": {\"approved\": \"no\"}}"),
        "messages_invalid": gettext("收到的消息必须是 JSON 列表，例如 [{\"name\": \"材料补正\", \"after_hours\": 24}]"),
        "finished": gettext("流程走完。"), "stopped": gettext("流程停在：%(e)s", e="{elements}"),
        "line": gettext("第 %(n)s 行", n="{line}"),
        # the properties form (js/designer-properties.js)
        "select": gettext("在图上选中一个元素，即可在这里修改它的设置。"), "id": gettext("标识"),
        "name": gettext("名称"), "condition": gettext("连线条件（表达式，例如 approved == 'yes'）"),
        "default": gettext("默认连线（其他条件都不满足时走这条）"), "no_default": gettext("（无默认连线）"),
        "form": gettext("表单（formKey，例如 wuhai/registration.json）"),
        "groups": gettext("候选组（candidateGroups，例如 window）"),
        "topic": gettext("处理主题（后台程序的 topic）"), "days": gettext("期限：几个工作日后到期"),
        "timer": gettext("定时表达式（timeDate）"),
        "basis": gettext("期限依据（任务页上给经办人看，写明政策出处）"),
    }


def simulation_json(result: Simulation) -> dict[str, Any]:
    """A simulation for the page: dates in words, outcomes in the page's language."""
    return {
        "steps": [{"element": s.element, "name": s.name, "kind": s.kind, "at": s.at.astimezone(SHANGHAI).isoformat(),
                   "at_text": datetime_filter(s.at)} for s in result.steps],
        "deadlines": [{"element": d.element, "name": d.name, "attached_to": d.attached_to,
                       "due_at": d.due_at.astimezone(SHANGHAI).isoformat(), "due_text": datetime_filter(d.due_at),
                       "outcome": d.outcome,
                       "outcome_text": str(OUTCOMES[d.outcome])} for d in result.deadlines],
        "finished": result.finished, "waiting_for": result.waiting_for,
        "messages": [{"name": m.name, "element": m.element,
                      "delivered_at": m.delivered_at.astimezone(SHANGHAI).isoformat() if m.delivered_at else None,
                      "delivered_text": datetime_filter(m.delivered_at) if m.delivered_at else gettext("未送达")}
                     for m in result.messages],
        "error": ({"message": gettext("运行出错：%(e)s", e=result.error.get("message", "")),
                   "element": result.error.get("element")} if result.error else None),
    }


def _outcome(value: Any) -> str:
    return str(OUTCOMES.get(value, value)) if isinstance(value, str) else str(value)


def _moment(value: Any) -> str:
    try:
        return datetime_filter(dt.datetime.fromisoformat(str(value)))
    except ValueError:
        return str(value)


def failure_text(f: dict[str, Any]) -> str:
    """One difference between a scenario's expected outcome and its run, in words."""
    check, element, want, got = f.get("check"), f.get("element") or "", f.get("expected"), f.get("actual")
    stopped = "、".join(f.get("waiting_for") or []) or "—"
    if check == "end":
        return gettext("应到达结束事件 %(w)s，实际：%(g)s", w=want, g=got or gettext("未走完，停在 %(s)s", s=stopped))
    if check == "finished":
        return gettext("应走完流程") if want else gettext("不应走完流程（应停在等待）")
    if check == "path":
        return gettext("未按顺序经过 %(e)s", e=element)
    if check == "deadline":
        return gettext("没有到达定时事件 %(e)s", e=element)
    if check == "deadline_outcome":
        return gettext("%(e)s 的期限应为“%(w)s”，实际“%(g)s”", e=element, w=_outcome(want), g=_outcome(got))
    if check == "deadline_due":
        return gettext("%(e)s 应于 %(w)s 到期，实际 %(g)s", e=element, w=_moment(want), g=_moment(got))
    if check == "error":
        return gettext("运行出错（%(e)s）：%(g)s", e=element or "—", g=got)
    return gettext("场景无效：%(g)s", g=got)


def scenario_rows(saved: list[Any], results: list[Any]) -> list[dict[str, Any]]:
    """One row per saved scenario with its result on the diagram run (`not_run` when the
    diagram could not run) and its differences in words."""
    by_name = {r.name: r for r in results}
    rows = []
    for row in saved:
        result = by_name.get(row.name)
        state = "not_run" if result is None else ("passed" if result.passed else "failed")
        rows.append({"name": row.name, "updated_by": row.updated_by, "updated_at": row.updated_at,
                     "scenario": json.dumps(row.scenario, ensure_ascii=False),
                     "expected": json.dumps(row.expected, ensure_ascii=False), "result": state,
                     "failures": [failure_text(f) for f in result.failures] if result else []})
    return rows


def diff_rows(changes: list[Change]) -> list[dict[str, Any]]:
    """One row per changed element: what, and before → after for each aspect."""
    return [{"element": c.element, "kind": c.kind, "name": c.name, "change": str(CHANGES[c.change]),
             "tone": TONES[c.change],
             "aspects": [{"label": str(ASPECTS[w]), "before": c.before.get(w, ""), "after": c.after.get(w, "")}
                         for w in c.what]} for c in changes]


PARTS = {"rule": _l("规则"), "input": _l("输入列"), "output": _l("输出列"), "field": _l("字段"), "file": _l("整个文件")}


def file_texts() -> dict[str, str]:
    """The words the table and form editors' module shows."""
    return {k: lint_texts()[k] for k in ("checking", "ok", "problems", "unsaved", "saving", "saved", "save_failed",
                                         "lint_failed", "whole", "line")} | {
        "load_failed": gettext("文件无法打开：%(e)s", e="{error}"),
        "upload_wrong": gettext("请上传 %(ext)s 文件", ext="{ext}"),
    }


def file_diff_rows(changes: list[FileChange]) -> list[dict[str, Any]]:
    """One row per rule, column or field of a table or form that differs."""
    return [{"file": c.file, "part": str(PARTS.get(c.part, c.part)), "ident": c.ident, "label": c.label,
             "change": str(CHANGES[c.change]), "tone": TONES[c.change], "before": c.before, "after": c.after}
            for c in changes]
MAPPING_LINE = re.compile(r"^\s*([^=\s→>-][^=\s→>]*)\s*(?:=|->|→)\s*([^=\s→>]+)\s*$")
STATES = {"completed": _l("已完成的"), "active": _l("正在办理或等待的"), "predicted": _l("将要经过的")}
REASONS = {"missing": _l("在新版本中不存在，也没有映射"), "different kind": _l("在新版本中是另一种元素"),
           "called process missing": _l("所调用的子流程在新版本中不存在"),
           "internal step missing": _l("在新版本中不存在")}


def parse_mapping(text: str) -> dict[str, str]:
    """The element mapping of the migrate form: one `old id = new id` (or `->`, `→`) a
    line; 422 naming the line that is neither."""
    mapping: dict[str, str] = {}
    for number, line in enumerate(text.replace("，", "\n").replace(",", "\n").splitlines()[:200], start=1):
        if not line.strip():
            continue
        match = MAPPING_LINE.match(line)
        if match is None:
            raise ValidationFailed(f"mapping line {number}: write old id = new id",
                                   {"fields": {"mapping": [f"line {number}: old id = new id"]}})
        mapping[match.group(1)] = match.group(2)
    return mapping


def obstacle_texts(obstacles: list[dict[str, Any]]) -> list[str]:
    """Why a case cannot move, one text per element: which, its part in the case, and why."""
    return [gettext("%(e)s（%(s)s元素%(r)s）", e=o.get("element"), s=STATES.get(o.get("state", ""), ""),
                    r=REASONS.get(o.get("reason", ""), o.get("reason", ""))) for o in obstacles]
