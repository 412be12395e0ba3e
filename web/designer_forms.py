"""The modeler page's simulation fields (issue 13), the parts of a saved scenario
(engine/definitions/scenarios.py: start, data, task_data, late, messages) as page fields,
drawn with the pages' field macro and read by js/designer-simulate.js, which posts them
to the simulate route; a saved scenario of the process can be loaded into them."""

from __future__ import annotations

from typing import Any

from wtforms import SelectField, StringField, TextAreaField

from web.forms import Form
from web.i18n import lazy_text as _l

CODE = {"spellcheck": "false", "autocapitalize": "none"}


class SimulationForm(Form):
    """The simulation's inputs; never submitted as a form (the page's module posts JSON)."""

    scenario = SelectField(_l("载入保存的场景"), id="sim-scenario", choices=[],
                           description=_l("把场景的数据填入下面各项，可再修改后模拟。"),
                           render_kw={"data-sim": "scenario"})
    start = StringField(_l("开始时间"), id="sim-start", render_kw={"type": "datetime-local", "data-sim": "start"})
    data = TextAreaField(_l("开始数据（JSON）"), id="sim-data", default="{}",
                         description=_l("案件开始时的数据，例如网关判断用到的字段。"),
                         render_kw={"rows": 4, "data-sim": "data", **CODE})
    task_data = TextAreaField(
        _l("各环节填写的数据（JSON）"), id="sim-task-data", default="{}",
        description=_l("按元素标识：该环节的人员填写或后台程序回答的数据，"
                       "例如 {\"Task_Review\": {\"approved\": \"no\"}}。没有列出的环节不填新数据，直接办结。"),
        render_kw={"rows": 4, "data-sim": "task_data", **CODE})
    late = StringField(_l("超期的任务（元素标识，逗号分隔）"), id="sim-late", render_kw={"data-sim": "late", **CODE})
    messages = TextAreaField(
        _l("收到的消息（JSON 列表）"), id="sim-messages", default="[]",
        description=_l("部门系统或申请人发来的消息：name、payload 和 at（时间）或 after_hours（等待后几小时），"
                       "例如 [{\"name\": \"材料补正\", \"payload\": {}, \"after_hours\": 24}]。"),
        render_kw={"rows": 3, "data-sim": "messages", **CODE})


def simulation_form(start: str, saved: list[Any]) -> SimulationForm:
    """The fields with the default start time and the saved scenarios to choose from."""
    form = SimulationForm(start=start)
    form.scenario.choices = [("", _l("（不载入）"))] + [(s.name, s.name) for s in saved]
    return form
