"""Demo data for the embedded default: one account per role and a few households."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import Session
from werkzeug.security import generate_password_hash

from engine import records
from engine.auth import create_user
from engine.store.models import User
from engine.store.records import AidGrant

DEMO_PASSWORD = "demo-pass-2026"  # noqa: S105 - demo mode only, printed in the README

# Regions (GB/T 2260; townships and villages in the statistical division codes' 9 and 12
# digits): the county accounts work in Jiangyin (江阴市 320281), the township and village
# accounts in one of its sub-districts and one of its communities; the Yixing (宜兴市
# 320282) accounts show the scope rule: they see none of Jiangyin's cases.
JIANGYIN, TOWNSHIP, VILLAGE, YIXING = "320281", "320281001", "320281001001", "320282"
# Wuhai (乌海市) and Tengzhou (滕州市) staff, so that each variant can be tried by its own
# region's people (workflows/items.json starts a variant only inside its region).
WUHAI, WUHAI_VILLAGE, TENGZHOU, TENGZHOU_VILLAGE = "150300", "150300001001", "370481", "370481001001"

# username, roles, groups, department, region, display name
DEMO_USERS: list[tuple[str, list[str], list[str], str | None, str | None, str]] = [
    ("admin", ["admin"], [], None, None, "系统管理员"),
    ("designer", ["designer"], [], None, None, "流程设计员"),
    ("window", ["clerk"], ["window"], None, JIANGYIN, "受理窗口 王敏"),
    ("township", ["clerk"], ["township"], None, TOWNSHIP, "镇(街道)工作人员 李强"),
    ("village", ["clerk"], ["village"], None, VILLAGE, "村(社区)协理员 张华"),
    ("grid", ["clerk"], ["grid"], None, VILLAGE, "网格员 赵磊"),
    ("centre", ["dispatcher"], ["county-centre"], None, JIANGYIN, "县救助中心 陈静"),
    ("joint", ["dispatcher"], ["joint-meeting"], None, JIANGYIN, "联席会议办公室 刘洋"),
    ("leader", ["leader"], ["leader"], None, JIANGYIN, "分管领导 周明"),
    ("supervisor", ["supervisor"], ["supervisor"], None, JIANGYIN, "督办 孙丽"),
    ("auditor", ["auditor"], [], None, JIANGYIN, "审计 吴刚"),
    ("applicant", ["applicant"], [], None, None, "申请人 郑梅"),
    ("hotline", ["system"], [], None, None, "12345 热线平台"),
    ("window-yixing", ["clerk"], ["window"], None, YIXING, "宜兴市受理窗口 钱芳"),
    ("centre-yixing", ["dispatcher"], ["county-centre"], None, YIXING, "宜兴市救助中心 何军"),
    ("wh-window", ["clerk"], ["window"], None, WUHAI, "乌海受理窗口 高娜"),
    ("wh-leader", ["leader"], ["leader"], None, WUHAI, "乌海分管领导 马强"),
    ("wh-joint", ["dispatcher"], ["joint-meeting"], None, WUHAI, "乌海区民政局/领导小组 白雪"),
    ("wh-supervisor", ["supervisor"], ["supervisor"], None, WUHAI, "乌海督办 田野"),
    ("wh-village", ["clerk"], ["village"], None, WUHAI_VILLAGE, "乌海居（村）委会 苏和"),
    ("tz-window", ["clerk"], ["window"], None, TENGZHOU, "滕州受理窗口 孔丽"),
    ("tz-centre", ["dispatcher"], ["county-centre"], None, TENGZHOU, "滕州市救助中心 颜华"),
    ("tz-village", ["clerk"], ["village", "grid"], None, TENGZHOU_VILLAGE, "滕州村级协理员 曾伟"),
    ("tz-supervisor", ["supervisor"], ["supervisor"], None, TENGZHOU, "滕州督办 孟涛"),
]
# Department case workers of each county: dept-<code> in Jiangyin, wh-dept-<code> in Wuhai,
# tz-dept-<code> in Tengzhou.
DEPARTMENT_COUNTIES = [("dept-", JIANGYIN, ""), ("wh-dept-", WUHAI, "乌海 "), ("tz-dept-", TENGZHOU, "滕州 ")]
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
    rows = [(u, f"{name} ({region})" if region else name) for u, _, _, _, region, name in DEMO_USERS]
    rows += [(f"{prefix}{d}", f"部门经办 ({d}, {region})") for prefix, region, _ in DEPARTMENT_COUNTIES
             for d in DEMO_DEPARTMENTS]
    return rows


def seed(session: Session, now: dt.datetime) -> int:
    """Create the demo accounts and data that are missing; returns how many users were added.
    Demo accounts made before they had regions get theirs."""
    added = 0
    existing = {u.username: u for u in session.scalars(sa.select(User))}
    users = list(DEMO_USERS) + [(f"{prefix}{d}", ["caseworker"], [f"dept:{d}"], d, region, f"{label}部门经办 {d}")
                                for prefix, region, label in DEPARTMENT_COUNTIES for d in DEMO_DEPARTMENTS]
    shared_hash = generate_password_hash(DEMO_PASSWORD) if any(u[0] not in existing for u in users) else None
    for username, roles, groups, department, region, name in users:
        if username not in existing:
            create_user(session, username, DEMO_PASSWORD, roles, groups, department, region, name, now,
                        password_hash=shared_hash)
            added += 1
        elif existing[username].region is None and region is not None:
            existing[username].region = region
    if records.household(session, DEMO_HOUSEHOLD[0][0]) is None:
        for id_number, name, relation, income, assets, insurance, disability in DEMO_HOUSEHOLD:
            records.put_household_member(session, {
                "id_number": id_number, "household_id": "HH-DEMO-1", "name": name, "relation": relation,
                "income_monthly": income, "assets": assets, "medical_insurance": insurance, "disability": disability})
        session.add(AidGrant(id_number=DEMO_HOUSEHOLD[2][0], aid_type="disability", since=dt.date(2024, 1, 1),
                             source="残联"))
    return added
