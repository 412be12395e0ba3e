"""Lockout after repeated failed sign-ins, per account and per client address.

Kept in the database, so every API process of a deployment counts the same failures
(the request rate limit in front of it is per process). Unknown usernames are counted
like known ones: a lockout says nothing about which accounts exist."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from engine.errors import TooManyAttempts
from engine.store.auth_models import LoginThrottle

SHANGHAI = dt.timezone(dt.timedelta(hours=8))


@dataclass(frozen=True)
class LockoutPolicy:
    """How many failures within `window` lock an account or an address, and for how long.

    An address gets more room than an account: a township office signs in from behind
    one address, and one clumsy colleague must not lock the whole office out."""

    account_failures: int = 5
    address_failures: int = 30
    window: dt.timedelta = dt.timedelta(minutes=15)
    lock: dt.timedelta = dt.timedelta(minutes=15)


def keys(username: str, client: str | None) -> list[str]:
    """The throttle keys of a sign-in attempt: the account, and the address if known."""
    out = [f"user:{username.strip().lower()[:100]}"]
    if client:
        out.append(f"addr:{client[:100]}")
    return out


def _refuse(key: str, until: dt.datetime, now: dt.datetime) -> TooManyAttempts:
    seconds = max(1, int((until - now).total_seconds() + 0.999))
    scope = "account" if key.startswith("user:") else "address"
    local = until.astimezone(SHANGHAI)
    return TooManyAttempts(
        f"too many failed sign-ins for this {scope}; try again after {local:%H:%M} "
        f"(in {max(1, round(seconds / 60))} min)",
        {"scope": scope, "retry_at": local.isoformat(timespec="seconds"), "retry_after_seconds": seconds})


def check(s: Session, throttle_keys: list[str], now: dt.datetime) -> None:
    """TooManyAttempts while any of the keys is locked (the password is then not even tried)."""
    rows = s.scalars(sa.select(LoginThrottle).where(LoginThrottle.key.in_(throttle_keys),
                                                    LoginThrottle.locked_until > now)).all()
    if rows:
        row = max(rows, key=lambda r: r.locked_until)
        raise _refuse(row.key, row.locked_until, now)


def _row(s: Session, key: str, now: dt.datetime) -> LoginThrottle:
    row = s.get(LoginThrottle, key, with_for_update=True)
    if row is None:
        try:
            with s.begin_nested():
                row = LoginThrottle(key=key, failures=0, window_started_at=now)
                s.add(row)
        except IntegrityError:  # another process's failure created it at the same moment
            row = s.get(LoginThrottle, key, with_for_update=True, populate_existing=True)
    assert row is not None
    return row


def record_failure(s: Session, throttle_keys: list[str], now: dt.datetime,
                   policy: LockoutPolicy) -> tuple[int, TooManyAttempts | None]:
    """Count a failed attempt against every key: (attempts the account has left, the refusal
    to raise once this is committed if the failure locked a key)."""
    s.execute(sa.delete(LoginThrottle).where(LoginThrottle.window_started_at < now - dt.timedelta(days=1),
                                             sa.or_(LoginThrottle.locked_until.is_(None),
                                                    LoginThrottle.locked_until < now)))
    left = policy.account_failures
    locked: LoginThrottle | None = None
    for key in throttle_keys:
        row = _row(s, key, now)
        limit = policy.account_failures if key.startswith("user:") else policy.address_failures
        if row.window_started_at <= now - policy.window or (row.locked_until and row.locked_until <= now):
            row.failures, row.window_started_at, row.locked_until = 0, now, None
        row.failures += 1
        if row.failures >= limit:
            row.locked_until = now + policy.lock
            locked = locked or row
        if key.startswith("user:"):
            left = max(0, limit - row.failures)
    s.flush()
    return left, (_refuse(locked.key, locked.locked_until, now) if locked is not None else None)


def clear(s: Session, throttle_keys: list[str]) -> None:
    """Forget the failures of these keys (a successful sign-in, a password reset)."""
    s.execute(sa.delete(LoginThrottle).where(LoginThrottle.key.in_(throttle_keys)))
