"""The readable history of a case as PDF, inside its audit file (X-AUDIT).

WeasyPrint with the Noto CJK fonts, as the printed notices are (api/notices.py). One row per
audit event: step, time (Shanghai), who, what command, the elements it moved and the data
it was given, with personal values masked as on every page (the JSON beside it carries the
commitments the hashes cover; this copy is for reading, the JSON for proving). The PDF's
SHA-256 is in the manifest, so swapping it is found offline too."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from jinja2 import Environment, select_autoescape

from engine.auth import personal
from engine.calendar import SHANGHAI

_TEMPLATE = """<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>案件审计记录 {{ key }}</title>
<style>
  @page { size: A4 landscape; margin: 15mm 12mm;
          @bottom-center { content: "业务编号 {{ key }} · 第 " counter(page) " 页 / 共 " counter(pages) " 页";
                           font-size: 8pt; color: #555; } }
  body { font-family: "Noto Sans CJK SC", "Noto Serif CJK SC", sans-serif; font-size: 9pt; line-height: 1.5; }
  h1 { font-size: 16pt; margin: 0 0 3mm; }
  table { width: 100%; border-collapse: collapse; }
  th, td { border: 1px solid #777; padding: 1.2mm 2mm; text-align: left; vertical-align: top; }
  th { background: #eee; font-weight: bold; }
  td.data { font-family: "Noto Sans Mono CJK SC", monospace; font-size: 7.5pt; word-break: break-all; }
  .facts td { border: none; padding: 0.5mm 2mm 0.5mm 0; }
  .hash { font-family: monospace; font-size: 7pt; color: #444; }
</style></head><body>
<h1>案件审计记录</h1>
<table class="facts">
  <tr><td>业务编号</td><td>{{ key }}</td><td>案件标识</td><td>{{ case.id }}</td></tr>
  <tr><td>流程版本</td><td>{{ definition }}</td><td>状态</td><td>{{ case.status }}</td></tr>
  <tr><td>区划</td><td>{{ case.region or "" }}</td><td>导出</td><td>{{ exported_by }}，{{ exported_at }}</td></tr>
  <tr><td>事件数</td><td>{{ events|length }}</td><td>链头哈希</td><td class="hash">{{ head }}</td></tr>
  <tr><td>覆盖本案的封存点</td><td colspan="3">{% for s in seals -%}
    第 {{ s.seq }} 号（{{ s.at }}，封存至第 {{ s.case_seq }} 步）{% if not loop.last %}；{% endif %}
    {%- else %}无{% endfor %}</td></tr>
</table>
<p>个人信息已按规定遮蔽。本记录供阅读；证明以同一审计文件中的 events.json 与 verify_chain.py 为准。</p>
<table>
  <thead><tr><th>步</th><th>时间</th><th>操作人</th><th>操作</th><th>环节变化</th><th>提交的数据</th></tr></thead>
  <tbody>
  {% for e in events %}
  <tr><td>{{ e.seq }}</td><td>{{ e.at }}</td><td>{{ e.actor }}</td>
      <td>{{ e.label }}<br><span class="hash">{{ e.command }}</span></td>
      <td>{% for c in e.changes %}{{ c.name or c.element }}：{{ c.from }} → {{ c.to }}<br>{% endfor %}</td>
      <td class="data">{{ e.input }}</td></tr>
  {% endfor %}
  </tbody>
</table>
</body></html>"""

_ENV = Environment(autoescape=select_autoescape(default=True))
# The commands in words a reader of the printed record knows (the code stays beside them).
COMMANDS = {
    "start_instance": "受理登记", "complete_task": "办理任务", "claim_task": "领取任务", "unclaim_task": "退回任务",
    "complete_job": "系统作业完成", "fail_job": "系统作业失败", "bpmn_error": "系统作业报告业务错误",
    "retry_incident": "重试故障作业", "queue_job": "排入系统作业", "correlate_message": "收到消息",
    "fire_timer": "期限到达", "timer_incident": "期限触发故障", "retry_timer_incident": "重试期限触发",
    "recompute_deadlines": "重算暂定期限", "cancel_instance": "撤销案件", "rename_business_key": "更正业务编号",
}


def _local(at: dt.datetime) -> str:
    return at.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M:%S")


def history_pdf(case: Any, definition: str, events: list[Any], seals: list[dict[str, Any]], head: str,
                exported_by: str, exported_at: dt.datetime) -> bytes:
    """The case's history as PDF bytes; `events` are AuditEvent rows (opened values)."""
    from weasyprint import HTML  # imported when an audit file is made: it loads Pango

    rows = [{"seq": e.seq, "at": _local(e.at), "actor": e.actor, "command": e.command,
             "label": COMMANDS.get(e.command, e.command),
             "changes": [c for c in e.changes or [] if c.get("element")],
             "input": json.dumps(personal.masked(e.input or {}), ensure_ascii=False, sort_keys=True,
                                 default=str)[:1500]} for e in events]
    html = _ENV.from_string(_TEMPLATE).render(
        key=case.business_key or case.id, case=case, definition=definition, events=rows, head=head,
        seals=[{"seq": s["seq"], "at": _local(dt.datetime.fromisoformat(s["sealed_at"])), "case_seq": s["head"][1]}
               for s in seals], exported_by=exported_by, exported_at=_local(exported_at))
    return HTML(string=html, url_fetcher=_no_fetch).write_pdf()


def _no_fetch(url: str, *args: Any, **kwargs: Any) -> dict[str, Any]:
    raise ValueError(f"the audit report loads nothing from outside ({url})")
