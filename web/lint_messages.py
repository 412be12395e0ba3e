"""The deploy checks' findings in the page's language (issue 13). The engine words its
problems in English for logs, the API and the CLI; the designer reads them here, in
Chinese first. A finding no pattern knows keeps its English text behind a Chinese lead,
so nothing is ever hidden."""

from __future__ import annotations

import re
from collections.abc import Callable

from flask_babel import gettext

from web.i18n import lazy_text as _l

# What an expression is, as lint_code names it.
WHAT = {
    "condition": _l("连线条件"), "script": _l("脚本"), "preScript": _l("前置脚本"), "postScript": _l("后置脚本"),
    "timer expression": _l("定时表达式"), "loopCardinality": _l("多实例数量"),
    "completionCondition": _l("多实例完成条件"), "loopCondition": _l("循环条件"),
    "messagePayload": _l("消息内容"), "candidateGroupsExpression": _l("候选组表达式"),
    "conditional event condition": _l("条件事件的条件"), "payloadExpression": _l("消息内容表达式"),
    "correlation expression": _l("关联表达式"), "correlation retrieval expression": _l("关联取值表达式"),
}


def _what(text: str) -> str:
    if text.startswith("parameter '"):
        return gettext("参数“%(p)s”", p=text[len("parameter '"):-1])
    return str(WHAT.get(text, text))


def _code(m: re.Match) -> str:
    detail = m.group(2)
    if "invalid variable name because it starts with \"_\"" in detail:
        name = re.search(r'"([^"]+)"', detail)
        detail = gettext("不能使用以下划线开头的名称 %(n)s（可能是危险调用）", n=name.group(1) if name else "_")
    elif detail.startswith("syntax error"):
        detail = gettext("语法错误")
    return gettext("%(what)s不允许：%(detail)s", what=_what(m.group(1)), detail=detail)


RULES: list[tuple[re.Pattern, Callable[[re.Match], str]]] = [
    (re.compile(r"^(.+?) is not allowed: (.*)$", re.S), _code),
    (re.compile(r"^gateway has no default flow and flow (.+) has no condition$"),
     lambda m: gettext("网关没有默认连线，而连线 %(f)s 没有条件：案件可能停在这里。请设默认连线或给连线加条件",
                       f=m.group(1))),
    (re.compile(r"^flow out of gateway (\S+) has no condition and is not its default$"),
     lambda m: gettext("从网关 %(g)s 出来的这条连线既没有条件，也不是默认连线：请加条件或设为默认连线", g=m.group(1))),
    # SpiffWorkflow's parser finds this one first (before our linter runs).
    (re.compile(r"^Non-default exclusive outgoing sequence flow without condition"),
     lambda m: gettext("此连线从排他网关出来，既没有条件，也不是默认连线：请加条件或把它设为网关的默认连线")),
    (re.compile(r"^(user task|manual task|plain task \(bpmn:task\)) has no candidateGroups and is in no lane"),
     lambda m: gettext("此任务没有候选组（candidateGroups），也不在任何泳道中：没有人能认领")),
    (re.compile(r"^service task names no worker topic"),
     lambda m: gettext("服务任务没有指定处理主题（spiffworkflow:serviceTaskOperator 的 id）")),
    (re.compile(r"^no worker handles topic '([^']*)' \(known: (.*)\)$"),
     lambda m: gettext("没有后台程序处理主题“%(t)s”（已有：%(k)s）", t=m.group(1), k=m.group(2))),
    (re.compile(r"^calls process '([^']*)' which is not in this deployment$"),
     lambda m: gettext("调用的流程“%(p)s”尚未部署", p=m.group(1))),
    (re.compile(r"^element has no shape or edge in the diagram \(DI\)$"),
     lambda m: gettext("此元素在流程图上没有图形或连线（DI）")),
    (re.compile(r"^the id '([^']*)' is reserved by the engine"),
     lambda m: gettext("标识“%(i)s”由引擎保留，请换一个", i=m.group(1))),
    (re.compile(r"^default flow '([^']*)' is not one of its outgoing sequence flows$"),
     lambda m: gettext("默认连线“%(f)s”不是此元素的出口连线", f=m.group(1))),
    (re.compile(r"^boundary event is attached to '([^']*)'"),
     lambda m: gettext("边界事件附着在“%(a)s”上，但它不是本图中的活动", a=m.group(1))),
    (re.compile(r"^form '([^']*)': (.*)$", re.S),
     lambda m: gettext("表单“%(f)s”有问题：%(e)s", f=m.group(1), e=m.group(2))),
    (re.compile(r"^bpmn:(\w+)(?::| is) (.*)$", re.S),
     lambda m: gettext("不支持的元素 bpmn:%(t)s：%(e)s", t=m.group(1), e=m.group(2))),
    (re.compile(r"^not well-formed XML: (.*)$", re.S),
     lambda m: gettext("XML 格式错误：%(e)s", e=m.group(1))),
    (re.compile(r"^no \.bpmn file$"), lambda m: gettext("没有流程图文件")),
    # J-ITEMS: the routing tables against the item list (engine/definitions/lint_items.py).
    (re.compile(r"^aid type '([^']*)' has no item in (\S+):"),
     lambda m: gettext("救助类型“%(a)s”在事项清单（%(f)s）中没有对应事项：请先添加该事项，或删除这一行",
                       a=m.group(1), f=m.group(2))),
    (re.compile(r"^item '([^']*)' \((.*)\) is implemented by '([^']*)' per (\S+), "
                r"but table '([^']*)' gives (.*) \((.*)\)$"),
     lambda m: gettext("事项“%(n)s”（%(k)s）的实施部门是“%(d)s”，决策表“%(t)s”却给出 %(g)s：请使两者一致",
                       n=m.group(2), k=m.group(1), d=m.group(3), t=m.group(5), g=m.group(6))),
    (re.compile(r"^the input .* must name one aid type"),
     lambda m: gettext("这一行的输入须是一个救助类型（带引号的文字）或“-”，才能与事项清单核对")),
    (re.compile(r"^the output must be one quoted department code"),
     lambda m: gettext("这一行的输出须是一个带引号的部门代码，才能与事项清单核对")),
    (re.compile(r"^routing table '([^']*)' must be one decision table with one input"),
     lambda m: gettext("分派决策表“%(t)s”须只有一个输入（救助类型），才能与事项清单核对", t=m.group(1))),
]


def translate(message: str) -> str:
    """`message` (a deploy check's finding) in the page's language."""
    for pattern, render in RULES:
        m = pattern.match(message)
        if m:
            return render(m)
    return gettext("部署检查未通过：%(e)s", e=message)


def problems_for_page(problems: list[dict]) -> list[dict]:
    """The problems with their message in the page's language (`detail`: the original)."""
    return [{"element": p.get("element"), "line": p.get("line"), "file": p.get("file"),
             "message": translate(str(p.get("message", ""))), "detail": p.get("message")} for p in problems]
