"""J-SEC: sign-in lockout, sessions that expire and can be revoked, users' regions and the
CSV import, through the engine's user directory (engine/auth/directory.py)."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from engine.auth import principal_from_token
from engine.auth.directory import UserDirectory
from engine.auth.regions import region_problem
from engine.auth.users import issue_token
from engine.errors import NotFound, TooManyAttempts, Unauthorized, ValidationFailed

T0 = dt.datetime(2026, 11, 2, 1, 0, tzinfo=dt.UTC)
SECRET = "engine-test-secret"


class Wall:
    """A wall clock the test moves."""

    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> dt.datetime:
        return self.now


@pytest.fixture
def directory(engine):
    wall = Wall()
    users = UserDirectory(engine.db, clock=wall)
    users.wall = wall
    for name in ("lock-a", "lock-b"):
        try:
            users.get(name)
        except NotFound:
            users.add("test", name, "right-password-1", ["clerk"], ["window"], None, "320281", name)
        users.set_password("test", name, "right-password-1")  # lifts a lockout left by another test
        users.set_active("test", name, True)
    return users


def test_J_SEC_account_locked_after_five_failures_then_free_again(directory):
    for attempt in range(1, 5):
        with pytest.raises(Unauthorized) as err:
            directory.sign_in("lock-a", "wrong", "web", "10.0.0.1")
        assert err.value.details["attempts_left"] == 5 - attempt
    with pytest.raises(TooManyAttempts) as locked:
        directory.sign_in("lock-a", "wrong", "web", "10.0.0.1")
    assert locked.value.details["scope"] == "account"
    assert locked.value.details["retry_after_seconds"] == 15 * 60
    assert locked.value.details["retry_at"] == "2026-11-02T09:15:00+08:00"
    # the right password is not even tried while locked, from any address
    with pytest.raises(TooManyAttempts):
        directory.sign_in("lock-a", "right-password-1", "web", "10.0.0.2")
    # another account is not affected
    assert directory.sign_in("lock-b", "right-password-1", "web", "10.0.0.1").principal.username == "lock-b"

    directory.wall.now = T0 + dt.timedelta(minutes=15, seconds=1)
    assert directory.sign_in("lock-a", "right-password-1", "web", "10.0.0.1").principal.username == "lock-a"


def test_J_SEC_an_address_is_locked_after_many_failures_whatever_the_usernames(directory):
    for i in range(directory.policy.address_failures - 1):
        with pytest.raises(Unauthorized):
            directory.sign_in(f"guess-{i}", "wrong", "token", "10.9.9.9")
    with pytest.raises(TooManyAttempts) as locked:
        directory.sign_in("guess-last", "wrong", "token", "10.9.9.9")
    assert locked.value.details["scope"] == "address"
    with pytest.raises(TooManyAttempts):
        directory.sign_in("lock-b", "right-password-1", "token", "10.9.9.9")
    assert directory.sign_in("lock-b", "right-password-1", "token", "10.9.9.10")


def test_J_SEC_failures_outside_the_window_do_not_add_up(directory):
    for _ in range(4):
        with pytest.raises(Unauthorized):
            directory.sign_in("lock-a", "wrong", "web", None)
    directory.wall.now = T0 + dt.timedelta(minutes=16)
    with pytest.raises(Unauthorized) as err:
        directory.sign_in("lock-a", "wrong", "web", None)
    assert err.value.details["attempts_left"] == 4


def test_J_SEC_a_password_reset_lifts_the_lockout(directory):
    for _ in range(5):
        with pytest.raises((Unauthorized, TooManyAttempts)):
            directory.sign_in("lock-a", "wrong", "web", None)
    directory.set_password("admin", "lock-a", "a-new-password-2")
    assert directory.sign_in("lock-a", "a-new-password-2", "web", None)


def test_J_SEC_tokens_end_with_sign_out_disable_password_change_and_expiry(directory, engine):
    def token() -> str:
        return issue_token(SECRET, directory.sign_in("lock-a", "right-password-1", "token", None).secret)

    def who(t: str) -> str:
        """The token's user as the API reads it on every request (a bare pooled connection,
        engine/store/prepared.py), which answers as a read in a session does, refusals too."""
        with engine.db.reading() as s:
            try:
                expected = principal_from_token(s, SECRET, t, directory.wall.now)
            except Unauthorized as err:
                with pytest.raises(Unauthorized, match=re.escape(err.message)):
                    directory.token_principal(SECRET, t)
                raise
        found = directory.token_principal(SECRET, t)
        assert (found, found.extra) == (expected, expected.extra)
        return found.username

    first, second = token(), token()
    assert who(first) == who(second) == "lock-a"
    with engine.db.reading() as s:
        directory.sign_out(principal_from_token(s, SECRET, first, T0).extra["session"], "lock-a")
    with pytest.raises(Unauthorized, match="signed out"):
        who(first)
    assert who(second) == "lock-a"  # only that sign-in ended

    directory.set_password("admin", "lock-a", "right-password-1")
    with pytest.raises(Unauthorized, match="password changed"):
        who(second)

    third = token()
    directory.set_active("admin", "lock-a", False)
    with pytest.raises(Unauthorized):
        who(third)
    with pytest.raises(Unauthorized, match="disabled"):
        directory.sign_in("lock-a", "right-password-1", "token", None)
    directory.set_active("admin", "lock-a", True)
    with pytest.raises(Unauthorized):
        who(third)  # enabling again does not bring old sign-ins back

    fourth = token()
    directory.wall.now = T0 + directory.lifetime + dt.timedelta(seconds=1)
    with pytest.raises(Unauthorized, match="expired"):
        who(fourth)


def test_J_SEC_a_token_from_before_sessions_were_tracked_is_refused(engine):
    from itsdangerous import URLSafeTimedSerializer

    old = URLSafeTimedSerializer(SECRET, salt="relief-token").dumps({"u": "admin"})
    with engine.db.reading() as s, pytest.raises(Unauthorized, match="log in again"):
        principal_from_token(s, SECRET, old)


@pytest.mark.parametrize("code,ok", [("320281", True), ("320281100", True), ("320281100201", True),
                                     ("110000", True), ("32028", False), ("3202811", False),
                                     ("32028110020", False), ("990000", False), ("32028a", False), ("", False)])
def test_J_SEC_region_is_a_gb_t_2260_code(code, ok):
    assert (region_problem(code) is None) == ok


def test_J_SEC_user_with_a_bad_region_is_refused_naming_the_field(directory):
    with pytest.raises(ValidationFailed) as err:
        directory.add("admin", "bad-region", "long-enough-1", ["clerk"], [], None, "3202", "")
    assert list(err.value.details["fields"]) == ["region"]
    with pytest.raises(NotFound):
        directory.get("bad-region")


def test_J_SEC_import_names_every_bad_row_and_field_and_imports_nothing(directory):
    csv = ("username,display_name,roles,groups,department,region\n"
           "imp-ok,张三,clerk,window,,320281\n"
           "imp-bad region,李四,clerk,window,,3202811\n"
           "imp-ok,王五,nobody,window,,320281\n"
           "lock-a,赵六,clerk,,,\n").encode()
    with pytest.raises(ValidationFailed) as err:
        directory.import_csv("admin", csv, "staff.csv")
    problems = [(p["line"], p["element"]) for p in err.value.details["problems"]]
    assert problems == [(3, "username"), (3, "region"), (4, "username"), (4, "roles"), (5, "username")]
    assert all(p["file"] == "staff.csv" for p in err.value.details["problems"])
    with pytest.raises(NotFound):
        directory.get("imp-ok")


def test_J_SEC_import_reads_gb18030_and_chinese_headers_and_role_names(directory):
    csv = ("用户名,姓名,角色,工作组,部门,区划代码\n"
           "imp-gbk-1,钱七,受理窗口工作人员,village,,320281100201\n"
           "imp-gbk-2,孙八,caseworker；leader,dept:hrss;leader,hrss,320281\n").encode("gb18030")
    added = dict(directory.import_csv("admin", csv, "乡镇.csv"))
    assert sorted(added) == ["imp-gbk-1", "imp-gbk-2"]
    first, second = directory.get("imp-gbk-1"), directory.get("imp-gbk-2")
    assert (first.display_name, first.roles, first.groups, first.region) == ("钱七", ["clerk"], ["village"],
                                                                             "320281100201")
    assert (second.roles, second.groups, second.department) == (["caseworker", "leader"], ["dept:hrss", "leader"],
                                                                "hrss")
    assert first.must_change_password
    signed_in = directory.sign_in("imp-gbk-1", added["imp-gbk-1"], "web", None)
    assert signed_in.must_change_password
