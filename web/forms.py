"""Web forms (WTForms through Flask-WTF): fields, Chinese-first messages, and the engine's
field errors put on the fields they name.

The CSRF token is checked for every state-changing cookie request before any view runs
(api/security.py), so forms here do not check it again; the `form` macro writes it."""

from __future__ import annotations

import re
from typing import Any

from flask_wtf import FlaskForm
from markupsafe import Markup
from wtforms import Field, SelectMultipleField, StringField, ValidationError, widgets

from engine.auth.regions import region_problem
from engine.auth.users import MIN_PASSWORD
from engine.errors import ValidationFailed
from web.i18n import lazy_text as _l

# The engine's field messages (English, for the API) as pages show them; others as they are.
ENGINE_MESSAGES: dict[str, object] = {
    "already taken": _l("该用户名已被使用"),
    "this is not your current password": _l("当前密码不正确"),
    "choose a password different from the current one": _l("新密码不能与当前密码相同"),
    f"at least {MIN_PASSWORD} characters": _l("密码至少 %(n)d 个字符", n=MIN_PASSWORD),
    "you cannot disable your own account": _l("不能停用自己的账号"),
    "give at least one role": _l("请至少选择一个角色"),
}
_SPLIT = re.compile(r"[\s,;，；、]+")


class Select(widgets.Select):
    """WTForms' select, its plain options drawn by Markup's % (the same markup): its own
    `html_params` sorts and formats each option's attributes, and the task list's filters
    draw some fifty options on every page."""

    @classmethod
    def _dispatch_render_option(cls) -> Any:
        # Ours takes (choice, **kwargs): WTForms would inspect its signature on every select.
        return cls.render_option

    @classmethod
    def render_option(cls, choice: Any, **kwargs: Any) -> Markup:
        if kwargs or choice.render_kw or not isinstance(choice.value, str):
            return super().render_option(choice, **kwargs)
        # The label once as text: a lazy one translates on each use (its truth test, its escape).
        label = str(choice.label) if choice.label is not None else ""
        if choice.selected:
            return Markup('<option selected value="%s">%s</option>') % (choice.value, label or choice.value)
        return Markup('<option value="%s">%s</option>') % (choice.value, label or choice.value)


class Form(FlaskForm):
    """Base of every page form."""

    class Meta:
        csrf = False  # checked before the view (see the module's docstring)

        def render_field(self, field: Field, render_kw: dict[str, Any]) -> Markup:
            """Draw a field; a single select with `Select` (faster, same markup)."""
            if type(field.widget) is widgets.Select and not field.widget.multiple:
                field.widget = Select()
            return super().render_field(field, render_kw)

    def apply_engine_errors(self, err: ValidationFailed) -> bool:
        """Show an engine ValidationFailed on the fields it names; False if it names none of ours."""
        placed = False
        for name, messages in (err.details.get("fields") or {}).items():
            field = getattr(self, name, None)
            if isinstance(field, Field):
                items = messages if isinstance(messages, list) else [messages]
                field.errors = list(field.errors) + [ENGINE_MESSAGES.get(str(m), str(m)) for m in items]
                placed = True
        return placed


class CheckboxesField(SelectMultipleField):
    """Several choices as a group of checkboxes (roles)."""

    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()


class NamesField(StringField):
    """Several names in one text box, separated by spaces, commas or semicolons (groups)."""

    def _value(self) -> str:
        return " ".join(self.data) if isinstance(self.data, list) else (self.data or "")

    def process_formdata(self, valuelist: list[Any]) -> None:
        self.data = [v for v in _SPLIT.split(valuelist[0] if valuelist else "") if v]


def region_code(form: Form, field: Field) -> None:
    """A GB/T 2260 division code (6, 9 or 12 digits), when given."""
    if field.data and region_problem(field.data.strip()):
        raise ValidationError(_l("请填写 6 位（县级）、9 位（乡镇）或 12 位（村级）行政区划代码，如 320281"))
