"""Languages (Flask-Babel): Simplified Chinese first, English second; dates as people
read them; the chosen language remembered per user (or, before sign-in, per browser).

Message ids are the Chinese texts themselves: the pages read as they will be shown, and
a missing English translation falls back to Chinese, never to a code. Catalogs live in
web/translations (made by `make translations`, see web/README.md)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from flask import Flask, g, session
from flask_babel import Babel, format_date, get_locale, get_translations
from flask_babel.speaklater import LazyString

LOCALES = ("zh_CN", "en")
DEFAULT_LOCALE = "zh_CN"
TIMEZONE = "Asia/Shanghai"
TRANSLATIONS = Path(__file__).with_name("translations")
# How people read a date: 2026年12月7日 星期一 / Monday 7 December 2026.
DATE_PATTERNS = {"zh": "y年M月d日 EEEE", "en": "EEEE d MMMM y"}
ZONE = ZoneInfo(TIMEZONE)


def _catalog() -> Any:
    """The current translations (Flask-Babel's), kept beside the locale Flask-Babel chose
    for this context (or forced, `force_locale`): a new locale object, a new look-up."""
    state = g.get("_flask_babel") if g else None  # Flask-Babel's per-context state
    if state is None:
        return get_translations()
    kept = getattr(state, "relief_catalog", None)
    if kept is not None and kept[0] is getattr(state, "babel_locale", None):
        return kept[1]
    translations = get_translations()  # chooses the locale if not yet chosen
    state.relief_catalog = (getattr(state, "babel_locale", None), translations)
    return translations


def text(string: str, **variables: object) -> str:
    """Flask-Babel's `gettext` with the current catalog at hand (for code that draws many
    rows: web/parts.py, web/task_rows.py)."""
    translated = _catalog().ugettext(string)
    return translated % variables if variables else translated


def lazy_text(string: str, **variables: object) -> LazyString:
    """Flask-Babel's `lazy_gettext` (the same lazy string) translated through `text` when
    drawn: form labels, select options and tab names are drawn on every page, each through
    Flask-Babel's own look-up (~10 µs; the task list's filters drew some ninety)."""
    return LazyString(text, string, **variables)


def ntext(singular: str, plural: str, num: int, **variables: object) -> str:
    """Flask-Babel's `ngettext` the same way (`%(num)d` is the count)."""
    variables.setdefault("num", num)
    return _catalog().ungettext(singular, plural, num) % variables


def preference(key: str, default: object = None) -> object:
    """A display preference: the signed-in user's own, else this browser session's."""
    who = g.get("principal")
    prefs = who.extra.get("preferences", {}) if who is not None else {}
    if key in prefs:
        return prefs[key]
    return session.get(f"pref_{key}", default)


def select_locale() -> str:
    chosen = preference("locale", DEFAULT_LOCALE)
    return chosen if chosen in LOCALES else DEFAULT_LOCALE


def install(app: Flask) -> None:
    app.config.update(BABEL_DEFAULT_LOCALE=DEFAULT_LOCALE, BABEL_DEFAULT_TIMEZONE=TIMEZONE,
                      BABEL_TRANSLATION_DIRECTORIES=str(TRANSLATIONS))
    Babel(app, locale_selector=select_locale)
    # The templates' _() and ngettext with the current catalog at hand: Flask-Babel's own
    # look-up walks the contexts and the domain's cache again for every text (~10 µs; a page
    # has hundreds).
    app.jinja_env.install_gettext_callables(
        gettext=lambda s: _catalog().ugettext(s), ngettext=lambda s, p, n: _catalog().ungettext(s, p, n),
        pgettext=lambda c, s: _catalog().upgettext(c, s),
        npgettext=lambda c, s, p, n: _catalog().unpgettext(c, s, p, n), newstyle=True)
    app.add_template_filter(date_filter, "date")
    app.add_template_filter(datetime_filter, "datetime")


def language() -> str:
    """`zh` or `en`: the language of the page being rendered."""
    locale = get_locale()  # one look-up: it walks Flask-Babel's contexts (date_filter asks per row)
    return locale.language if locale is not None else "zh"


def html_lang() -> str:
    return "zh-CN" if language() == "zh" else "en"


def date_filter(value: dt.date | dt.datetime | None) -> str:
    """`2026年12月7日 星期一` / `Monday 7 December 2026` (datetimes in Asia/Shanghai)."""
    if value is None:
        return ""
    if isinstance(value, dt.datetime):  # the day in Asia/Shanghai (Babel reads a naive one as UTC)
        value = (value if value.tzinfo else value.replace(tzinfo=dt.UTC)).astimezone(ZONE).date()
    # Babel's formatting costs ~50 µs and a list shows the same few days on every row: once
    # per request and day.
    memo: dict[tuple[dt.date, str], str] = g.setdefault("relief_dates", {}) if g else {}
    key = (value, language())
    if key not in memo:
        memo[key] = format_date(value, DATE_PATTERNS[key[1]])
    return memo[key]


def datetime_filter(value: dt.datetime | str | None) -> str:
    """The date as `date_filter` writes it, then the time: `2026年12月7日 星期一 17:30`
    (an ISO-8601 string, as audit events record deadlines, is read first)."""
    if value is None:
        return ""
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    local = (value if value.tzinfo else value.replace(tzinfo=dt.UTC)).astimezone(ZONE)
    return f"{date_filter(local.date())} {local:%H:%M}"
