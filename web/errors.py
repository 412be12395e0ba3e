"""Error pages in the site's own layout (403, 404, 500, …) instead of JSON for pages;
the API keeps answering JSON. A page request without a sign-in goes to the sign-in page."""

from __future__ import annotations

import logging

from flask import Blueprint, Flask, current_app, flash, g, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext
from flask_limiter.errors import RateLimitExceeded
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from api.security import PasswordChangeRequired
from api.sign_in_limit import retry_after
from engine.errors import ReliefError, Unauthorized
from web.i18n import lazy_text as _l

log = logging.getLogger("relief.web")

TITLES = {
    400: _l("请求有误"), 403: _l("无权访问此页面"), 404: _l("找不到此页面"), 405: _l("不支持此操作"),
    409: _l("操作与当前状态冲突"), 413: _l("上传的内容过大"), 422: _l("填写的内容有误"), 429: _l("操作过于频繁"),
    500: _l("系统出错了"),
}
EXPLANATIONS = {
    403: _l("您的角色不能打开此页面。如确需办理，请联系系统管理员调整角色或工作组。"),
    404: _l("地址可能输错了，或该内容已不存在。"),
    500: _l("问题已记录，请稍后重试。如多次出现，请告知系统管理员，并说明出错的时间和操作。"),
}


def error_page(code: int, message: str | None = None, status: int | None = None,
               headers: dict[str, str] | None = None) -> ResponseReturnValue:
    """The error page of `code` in the site's layout (a plain one if even that fails)."""
    title = TITLES.get(code, TITLES[500] if code >= 500 else TITLES[400])
    try:
        body = render_template("errors/error.html", code=code, title=title,
                               message=message or EXPLANATIONS.get(code, ""))
    except Exception:  # the layout itself is broken: still answer something readable
        log.exception("error page failed")
        body = f"<!DOCTYPE html><meta charset='utf-8'><title>{code}</title><h1>{code}</h1>"
    return body, status or code, headers or {}


def _sign_in_first(message: str | None = None) -> ResponseReturnValue:
    if message:
        flash(message, "warning")
    target = request.full_path.rstrip("?") if request.method == "GET" else None
    return redirect(url_for("web.auth.sign_in", next=target) if target and target != "/" else
                    url_for("web.auth.sign_in"))


def install(app: Flask, web: Blueprint) -> None:
    """Error handlers of the web blueprints, and HTML 404/405 for addresses outside the API."""

    @web.errorhandler(ReliefError)
    def _relief(err: ReliefError) -> ResponseReturnValue:
        if isinstance(err, Unauthorized):
            ended = g.get("session_ended")
            return _sign_in_first(
                gettext("登录已失效（已退出、账号被停用或密码已更改），请重新登录。") if ended else None)
        if isinstance(err, PasswordChangeRequired):
            flash(gettext("请先设置您自己的密码，然后再继续。"), "warning")
            return redirect(url_for("web.account.password"))
        if err.status == 404:
            return error_page(404)
        if err.status == 403:
            return error_page(403)
        return error_page(err.status, err.message)

    @web.errorhandler(CSRFError)
    def _csrf(err: CSRFError) -> ResponseReturnValue:
        return error_page(400, gettext(
            "页面已过期，或无法确认此请求来自本系统的页面（CSRF 校验未通过），所以没有保存任何内容。"
            "请返回上一页，刷新后重新提交。"))

    @web.errorhandler(RateLimitExceeded)
    def _rate(err: RateLimitExceeded) -> ResponseReturnValue:
        seconds = retry_after(err)
        if request.blueprint and request.blueprint.endswith("portal"):
            return error_page(429, gettext("操作过于频繁，请在 %(s)d 秒后重试。", s=seconds),
                              headers={"Retry-After": str(seconds)})
        return error_page(429, gettext("登录请求过于频繁，请在 %(s)d 秒后重试。", s=seconds),
                          headers={"Retry-After": str(seconds)})

    @web.errorhandler(HTTPException)
    def _http(err: HTTPException) -> ResponseReturnValue:
        return error_page(err.code or 500)

    @web.errorhandler(Exception)
    def _unexpected(err: Exception) -> ResponseReturnValue:
        log.exception("unhandled error on a page")
        return error_page(500)

    def _outside_api(err: HTTPException) -> ResponseReturnValue:
        if request.path.startswith("/api/"):
            return current_app.extensions["relief_api"].handle_http_exception(err)
        return error_page(err.code or 404)

    app.register_error_handler(404, _outside_api)
    app.register_error_handler(405, _outside_api)
