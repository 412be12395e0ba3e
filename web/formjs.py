"""form-js's own validation messages, translated: form-js writes them in English only and
has no i18n for them, so our wrapper (static/js/form-viewer.js) matches each English
message and shows ours instead, in the page's language.

Each entry: the English pattern form-js produces (`{x}`, `{y}` stand for the numbers or
pattern it inserts) and our text, with the same `{x}`. Pages hand the list to the wrapper as a
JSON data block (`parts/data.html`), translated by the catalog like any page text."""

from __future__ import annotations

from web.i18n import lazy_text as _l

# The English texts as form-js 1.23 writes them (dist/form-viewer.umd.js, Validator).
FORMJS_MESSAGES = [
    ("Field is required.", _l("此项为必填项。")),
    ("Field must have minimum length of {x}.", _l("至少需要填写 {x} 个字符。")),
    ("Field must have maximum length of {x}.", _l("最多可填写 {x} 个字符。")),
    ("Field must have minimum value of {x}.", _l("不能小于 {x}。")),
    ("Field must have maximum value of {x}.", _l("不能大于 {x}。")),
    ("Field must match pattern {x}.", _l("格式不正确。")),
    ("Field must be a valid email.", _l("请填写有效的电子邮箱地址。")),
    ("Field must be a valid  international phone number. (e.g. +4930664040900)",
     _l("请填写有效的国际格式电话号码（如 +8613800000000）。")),
    ("Value is not a number.", _l("请填写数字。")),
    ("Value is expected to be an integer.", _l("请填写整数。")),
    ("Value is expected to have at most {x} decimal digit.", _l("最多保留 {x} 位小数。")),
    ("Value is expected to have at most {x} decimal digits.", _l("最多保留 {x} 位小数。")),
    ("Please select a valid value, the two nearest valid values are {x} and {y}.",
     _l("请填写有效的值，最接近的两个有效值是 {x} 和 {y}。")),
]


# Words form-js writes into its own controls (a select's empty value, its search box).
FORMJS_LABELS = [
    ("Select", _l("请选择")),
    ("Search", _l("搜索")),
    ("No results", _l("没有匹配的选项")),
    ("All values selected", _l("已全部选择")),
]


def form_messages() -> dict[str, list[dict[str, str]]]:
    """For the wrapper: form-js's English messages and control words, and ours in the page's
    language ({"messages": [{en, text}], "labels": [{en, text}]})."""
    return {"messages": [{"en": en, "text": str(ours)} for en, ours in FORMJS_MESSAGES],
            "labels": [{"en": en, "text": str(ours)} for en, ours in FORMJS_LABELS]}
