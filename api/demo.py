"""Demo data for the embedded default: one account per role and a few households."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import Session

from engine import records
from engine.auth import create_user
from engine.store.models import User
from engine.store.records import AidGrant

DEMO_PASSWORD = "demo-pass-2026"  # noqa: S105 - demo mode only, printed in the README

# username, roles, groups, department, display name
DEMO_USERS: list[tuple[str, list[str], list[str], str | None, str]] = [
    ("admin", ["admin"], [], None, "系统管理员"),
    ("designer", ["designer"], [], None, "流程设计员"),
    ("window", ["clerk"], ["window"], None, "受理窗口 王敏"),
    ("township", ["clerk"], ["township"], None, "镇(街道)工作人员 李强"),
    ("village", ["clerk"], ["village"], None, "村(社区)协理员 张华"),
    ("grid", ["clerk"], ["grid"], None, "网格员 赵磊"),
    ("centre", ["dispatcher"], ["county-centre"], None, "县救助中心 陈静"),
    ("joint", ["dispatcher"], ["joint-meeting"], None, "联席会议办公室 刘洋"),
    ("leader", ["leader"], ["leader"], None, "分管领导 周明"),
    ("supervisor", ["supervisor"], ["supervisor"], None, "督办 孙丽"),
    ("auditor", ["auditor"], [], None, "审计 吴刚"),
    ("applicant", ["applicant"], [], None, "申请人 郑梅"),
    ("hotline", ["system"], [], None, "12345 热线平台"),
]
DEMO_DEPARTMENTS = ["civil-affairs", "education", "hrss", "justice", "housing", "health", "medical-security",
                    "emergency", "trade-union", "youth-league", "womens-federation", "red-cross",
                    "disabled-federation", "charity-federation"]

# A household in the local data platform for the one-ID application (T-ID) demo.
DEMO_HOUSEHOLD = [
    ("32028119800101001X", "郑梅", "户主", 800.0, 5000.0, "城乡居民医保", None),
    ("320281200501010025", "郑小雨", "子女", 0.0, 0.0, "城乡居民医保", None),
    ("320281195001010017", "郑国强", "父亲", 600.0, 0.0, "城乡居民医保", "肢体二级"),
]


def demo_accounts() -> list[tuple[str, str]]:
    """(username, what they do) for the README and the `relief demo` banner."""
    rows = [(u, name) for u, _, _, _, name in DEMO_USERS]
    rows += [(f"dept-{d}", f"部门经办 ({d})") for d in DEMO_DEPARTMENTS]
    return rows


def seed(session: Session, now: dt.datetime) -> int:
    """Create the demo accounts and data that are missing; returns how many users were added."""
    added = 0
    existing = set(session.scalars(sa.select(User.username)))
    users = list(DEMO_USERS) + [(f"dept-{d}", ["caseworker"], [f"dept:{d}"], d, f"部门经办 {d}")
                                for d in DEMO_DEPARTMENTS]
    for username, roles, groups, department, name in users:
        if username not in existing:
            create_user(session, username, DEMO_PASSWORD, roles, groups, department, None, name, now)
            added += 1
    if records.household(session, DEMO_HOUSEHOLD[0][0]) is None:
        for id_number, name, relation, income, assets, insurance, disability in DEMO_HOUSEHOLD:
            records.put_household_member(session, {
                "id_number": id_number, "household_id": "HH-DEMO-1", "name": name, "relation": relation,
                "income_monthly": income, "assets": assets, "medical_insurance": insurance, "disability": disability})
        session.add(AidGrant(id_number=DEMO_HOUSEHOLD[2][0], aid_type="disability", since=dt.date(2024, 1, 1),
                             source="残联"))
    return added
