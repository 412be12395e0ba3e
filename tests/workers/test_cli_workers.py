"""`relief worker-token` and `relief worker` argument checks (X-WORKERS)."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from api.cli import main


def test_X_WORKERS_worker_token_is_printed_once_and_identifies_the_worker(cli_env):
    r = CliRunner().invoke(main, ["worker-token", "create", "ledger-1", "--topics", "ledger.record"])
    assert r.exit_code == 0, r.output
    token = r.output.strip().splitlines()[-1]
    assert token.startswith("rw_")
    who = cli_env.identify_worker(token)
    assert who.name == "ledger-1" and who.topics == ("ledger.record",)
    again = CliRunner().invoke(main, ["worker-token", "create", "ledger-1"])
    assert again.exit_code == 1 and "already taken" in again.output
    revoked = CliRunner().invoke(main, ["worker-token", "revoke", "ledger-1"])
    assert revoked.exit_code == 0
    from engine.errors import Unauthorized

    with pytest.raises(Unauthorized, match="revoked"):
        cli_env.identify_worker(token)


def test_X_WORKERS_unknown_topics_are_refused_by_name(cli_env):
    r = CliRunner().invoke(main, ["worker-token", "create", "w-2", "--topics", "ledger.record,no.such"])
    assert r.exit_code == 1 and "no.such" in r.output
    r = CliRunner().invoke(main, ["worker", "--url", "http://127.0.0.1:9", "--token", "rw_x.y", "--topics", "no.such"])
    assert r.exit_code == 2 and "no.such" in r.output
