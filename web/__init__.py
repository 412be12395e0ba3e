"""The staff web app: server-rendered pages (Flask blueprints + Jinja2) over the engine's
public commands and queries, the same ones the JSON API calls. How to add a page: README.md."""

from __future__ import annotations

from flask import Flask, g, url_for

SIGN_IN_ENDPOINT = "web.auth.sign_in"


def register(app: Flask) -> None:
    """Add the web app to `app` (after the API: pages share its sessions and `@rule` check)."""
    from web import basis, deadlines, errors, i18n, nav, pages, parts, people
    from web.views import blueprint

    i18n.install(app)
    web = blueprint()
    demo_phone = app.extensions["relief_settings"].demo_phone
    if demo_phone:
        from web.views import demo_phone as demo_phone_page

        web.register_blueprint(demo_phone_page.blp)
    errors.install(app, web)
    app.register_blueprint(web)
    app.add_template_global(deadlines.deadline, "deadline")
    # The parts drawn per row (parts/badge.html and parts/table.html export them).
    app.add_template_global(parts.badge, "part_badge")
    app.add_template_global(parts.deadline_badge, "part_deadline_badge")
    app.add_template_global(parts.cell, "part_cell")
    app.add_template_global(parts.row, "part_row")
    app.add_template_filter(people.person, "person")
    app.add_template_filter(basis.readable_basis, "readable_basis")

    @app.context_processor
    def _page_context() -> dict[str, object]:
        who = pages.principal()
        return {"principal": who, "nav_areas": nav.areas_for(who, header=True), "html_lang": i18n.html_lang(),
                "locale": i18n.select_locale(), "roles": nav.ROLE_LABELS, "session_ended": g.get("session_ended"),
                "large_font": bool(i18n.preference("large_font", False)), "demo_phone": demo_phone,
                "asset": lambda path: url_for("web.asset", filename=path),
                "vendor": lambda path: url_for("static", filename=f"vendor/{path}")}
