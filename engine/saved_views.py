"""Saved views of the task list: a filter under a name, shared by the users of one role in
one region (a county's window clerks share theirs; Yixing's never see Jiangyin's).
Mixed into `Engine`; the web decides what the filters mean, the engine checks their shape."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from engine.auth import Principal
from engine.clock import Clock
from engine.errors import Forbidden, NotFound, ValidationFailed
from engine.store.db import Database
from engine.store.models import SavedView

MAX_NAME, MAX_FILTERS, MAX_VALUE = 80, 20, 120


def _problem(field: str, message: str) -> ValidationFailed:
    return ValidationFailed(f"{field}: {message}", {"fields": {field: [message]}})


class SavedViews:
    """Saved task-list views; mixed into `Engine`."""

    db: Database
    clock: Clock

    def save_view(self, who: Principal, name: str, role: str, filters: dict[str, Any]) -> SavedView:
        """Save `filters` as a view named `name` for the users of `role` (one of the caller's)
        in the caller's region."""
        name = (name or "").strip()
        if not name or len(name) > MAX_NAME:
            raise _problem("name", f"请填写 1 至 {MAX_NAME} 字的名称 (a name of 1 to {MAX_NAME} characters)")
        if role not in who.roles:
            raise _problem("role", "只能为自己的角色保存视图 (one of your own roles)")
        if not isinstance(filters, dict) or len(filters) > MAX_FILTERS or not all(
                isinstance(k, str) and len(k) <= 40 and isinstance(v, str) and len(v) <= MAX_VALUE
                for k, v in filters.items()):
            raise _problem("filters", "筛选条件格式不正确 (filters: up to 20 short text values)")
        with self.db.session() as s:
            row = SavedView(name=name, role=role, region=who.region, filters=dict(filters),
                            created_by=who.username, created_at=self.clock.now())
            s.add(row)
            return row

    def views_for(self, who: Principal) -> list[SavedView]:
        """The views shared with `who`: of one of their roles, in their region, by name."""
        region = SavedView.region.is_(None) if who.region is None else SavedView.region == who.region
        with self.db.reading() as s:
            return list(s.scalars(sa.select(SavedView).where(SavedView.role.in_(list(who.roles)), region)
                                  .order_by(SavedView.name, SavedView.id)))

    def delete_view(self, who: Principal, view_id: int) -> None:
        """Delete a view: its author or an admin (others of the role only use it)."""
        with self.db.session() as s:
            row = s.get(SavedView, view_id)
            if row is None or not (who.is_admin or (row.role in who.roles and row.region == who.region)):
                raise NotFound(f"saved view {view_id} does not exist", {"view": view_id})
            if row.created_by != who.username and not who.is_admin:
                raise Forbidden(f"only {row.created_by} may delete this view", {"view": view_id})
            s.delete(row)
