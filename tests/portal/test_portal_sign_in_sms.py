"""The applicant's sign-in code through the SMS adapter (issue 14), on SQLite and PostgreSQL:
it reaches the applicant (the outbox, and the HTTP gateway where one is configured, through
the notice job's retries), while no staff page or API, as any staff role, shows it; a worker
cannot write such a hidden notice itself. Cases older than the phone token get it at
upgrade, and the applicant's code and session last real minutes, not the engine's."""

from __future__ import annotations

import datetime as dt
import io
import json
import re
import zipfile

import pypdf
import pytest
import requests
import sqlalchemy as sa

from api.security import PUBLIC, WORKER
from engine.clock import AdjustableClock
from engine.errors import ValidationFailed
from engine.portal.phone_tokens import backfill_phone_tokens
from engine.store.models import Instance, Job
from engine.store.portal_models import ApplicantCode
from engine.store.records import Notification
from tests.api.conftest import live  # noqa: F401 - the live server fixture
from tests.portal.test_portal_applicant_http import _ask_code, _code
from tests.portal.test_portal_applicants import OTHER_PHONE
from tests.portal.test_portal_engine import JIANGYIN, PHONE, application
from tests.portal.test_portal_http import _visitor
from tests.workers.conftest import run_over_http, worker_token
from tests.workers.outside import OutsideSystem
from workers.runner import run_pending

# One demo account per staff role (tests/reliability/test_authorization_matrix.py).
STAFF = {"admin": "admin", "designer": "designer", "clerk": "window", "dispatcher": "centre",
         "caseworker": "dept-civil-affairs", "leader": "leader", "supervisor": "supervisor", "auditor": "auditor"}
_PARAM = re.compile(r"<(?:[^:<>]+:)?([^<>]+)>")


@pytest.fixture
def gateway(monkeypatch):
    """A local HTTP SMS gateway the notice worker posts to (RELIEF_SMS_GATEWAY_URL)."""
    system = OutsideSystem("sms")
    monkeypatch.setenv("RELIEF_SMS_GATEWAY_URL", system.url)
    yield system
    system.release_all()
    system.close()


def _staff_gets(app, values: dict[str, str]) -> list[str]:
    """The path of every GET route a staff member may call (not the public ones, not the
    workers'), its parameters filled with the case's values or a value nothing has."""
    out = []
    for r in app.url_map.iter_rules():
        if "GET" not in r.methods or r.endpoint == "static" or r.endpoint.startswith("api-docs."):
            continue
        rule = app.view_functions[r.endpoint]._relief_rule
        if PUBLIC in rule or WORKER in rule:
            continue
        out.append(_PARAM.sub(lambda m: values.get(m.group(1), "no-such-" + m.group(1)), r.rule))
    return out


def _texts(answer: requests.Response) -> list[str]:
    """What a person sees of an answer: its text, JSON with its characters unescaped, a
    PDF's text, and each file of a ZIP export."""
    kind = answer.headers.get("Content-Type", "")
    if "pdf" in kind:
        return [page.extract_text() for page in pypdf.PdfReader(io.BytesIO(answer.content)).pages]
    if "zip" in kind:
        with zipfile.ZipFile(io.BytesIO(answer.content)) as z:
            return [z.read(n).decode("utf-8", "replace") for n in z.namelist()]
    if "json" in kind:
        return [json.dumps(answer.json(), ensure_ascii=False)]
    return [answer.text]


def _code_job(engine) -> Job:
    with engine.db.reading() as s:
        return s.scalar(sa.select(Job).where(Job.idempotency_key.like("sign-in-code:%")))


@pytest.mark.parametrize("over", ["in-process", "http"])
def test_J_PORTAL_sign_in_code_reaches_the_gateway_and_no_staff_page_or_api_shows_it(  # noqa: F811
        live, scenario, gateway, over):  # noqa: F811
    engine = scenario.engine
    case = engine.apply_online("dibao", JIANGYIN, application())
    run_pending(engine, topics=["applicant.notify"])  # the application number's SMS
    engine.send_sign_in_code(PHONE)
    code = _code(engine)  # the outbox: the adapter's local channel
    job = _code_job(engine)
    assert code not in json.dumps(job.variables, ensure_ascii=False)  # the job carries only its key
    if over == "http":  # what a worker process does, with its worker token
        run_over_http(live.base, worker_token(engine, topics=["applicant.notify"]), engine, ["applicant.notify"])
    else:
        run_pending(engine, topics=["applicant.notify"])
    got = gateway.received[-1].json
    assert got["to"] == PHONE and f"验证码为 {code}" in got["text"]
    with engine.db.reading() as s:
        row = s.scalar(sa.select(Notification).where(Notification.template == "sign_in_code"))
        assert row.status == "sent" and s.get(Job, job.id).state == "completed"
    # Every staff page and API, as every staff role: neither the code nor its SMS.
    values = {"instance_id": case.id, "business_key": case.business_key, "key": case.process_key,
              "definition_id": str(case.definition_id), "job_id": job.id}
    paths = _staff_gets(live.app, values)
    assert f"/cases/{case.id}" in paths and "/api/v1/outbox" in paths
    shown, pdfs = 0, 0
    for role, account in STAFF.items():
        for path in [*paths, f"/api/v1/outbox?instance={case.id}", f"/api/v1/instances/{case.id}/history"]:
            answer = live.call("GET", path, as_=account)
            assert answer.status_code < 500, (role, path)
            shown += answer.status_code == 200
            if answer.status_code == 200 and "pdf" in answer.headers.get("Content-Type", ""):
                pdfs += case.business_key in "".join(_texts(answer))  # its text is read, not skipped
            for text in _texts(answer):
                assert not re.search(rf"(?<!\d){code}(?!\d)", text), (role, path)
                assert "验证码" not in text and "sign_in_code" not in text, (role, path)
    assert shown > 100 and pdfs > 0  # the walk saw the case's pages and PDFs, not only refusals
    # The application number's SMS still shows (only the private kind is left out).
    [listed] = live.call("GET", f"/api/v1/outbox?instance={case.id}", as_="window").json()
    assert listed["template"] == "applied"


def test_J_PORTAL_a_refused_code_sms_is_retried_and_its_failure_recorded_without_the_text(scenario, gateway):
    engine = scenario.engine
    engine.apply_online("dibao", JIANGYIN, application())
    run_pending(engine, topics=["applicant.notify"])
    gateway.answers.append((503, {"error": "busy", "echo": "验证码"}))
    engine.send_sign_in_code(PHONE)
    code = _code(engine)
    run_pending(engine, topics=["applicant.notify"])
    job = _code_job(engine)
    assert job.state == "pending" and job.retries == 2 and "503" in job.error
    assert code not in json.dumps(job.error_details or {}) and "body" not in (job.error_details or {})
    engine.clock.advance(dt.timedelta(minutes=2))  # the job's retry is due (engine clock)
    run_pending(engine, topics=["applicant.notify"])
    assert _code_job(engine).state == "completed"
    assert [f"验证码为 {code}" in r.json["text"] for r in gateway.received[-2:]] == [True, True]
    with engine.db.reading() as s:
        assert s.scalar(sa.select(Notification.status).where(Notification.template == "sign_in_code")) == "sent"


def test_J_PORTAL_a_worker_cannot_write_a_hidden_notice(scenario):
    engine = scenario.engine
    case = engine.apply_online("dibao", JIANGYIN, application())
    [job] = engine.fetch_and_lock("w1", ["applicant.notify"], 1, 60)
    with pytest.raises(ValidationFailed) as err:
        engine.keep_record(job.id, "w1", "notification", {"channel": "sms", "to": PHONE, "template": "sign_in_code",
                                                          "message": "验证码为 000000"})
    assert list(err.value.details["fields"]) == ["template"]
    with engine.db.reading() as s:
        assert s.scalar(sa.select(sa.func.count()).select_from(Notification)
                        .where(Notification.instance_id == case.id)) == 0


def test_J_PORTAL_cases_older_than_the_phone_token_get_it_at_upgrade(scenario):
    engine = scenario.engine
    old = engine.apply_online("dibao", JIANGYIN, application())
    other = engine.apply_online("dibao", JIANGYIN, application(applicant_phone=OTHER_PHONE))
    with engine.db.session() as s:  # as migration 0026 leaves the cases begun before it
        s.execute(sa.update(Instance.__table__).values(applicant_phone_token=None))
    engine.send_sign_in_code(PHONE)
    with engine.db.reading() as s:  # no case has the phone yet: no code went out
        assert s.scalar(sa.select(sa.func.count()).select_from(Notification)
                        .where(Notification.template == "sign_in_code")) == 0
    engine.upgrade_schema()  # what `relief db upgrade` runs
    assert backfill_phone_tokens(engine) == 0  # idempotent: nothing left to look at
    engine.send_sign_in_code(PHONE)
    tokens = engine.check_sign_in_code(PHONE, _code(engine))
    assert [c.business_key for c in engine.applicant_cases(tokens)] == [old.business_key]
    assert other.business_key not in [c.business_key for c in engine.applicant_cases(tokens)]


def test_J_PORTAL_a_case_whose_data_cannot_be_read_is_skipped_by_the_backfill(scenario, caplog):
    engine = scenario.engine
    cases = [engine.apply_online("dibao", JIANGYIN, application()) for _ in range(2)]
    broken = cases[0].id
    with engine.db.session() as s:
        s.execute(sa.update(Instance.__table__).values(applicant_phone_token=None))
        row = s.get(Instance, broken)
        kept, row.state = row.state, {"not": "a workflow"}  # its stored state no longer restores
    assert backfill_phone_tokens(engine) == 2
    with engine.db.reading() as s:
        tokens = dict(s.execute(sa.select(Instance.id, Instance.applicant_phone_token)).all())
    assert tokens[broken] is None and tokens[cases[1].id]  # skipped, the other keyed
    assert f"case {broken}: its data could not be read" in caplog.text
    with engine.db.session() as s:
        s.get(Instance, broken).state = kept
    assert backfill_phone_tokens(engine) == 1  # tried again at the next upgrade
    with engine.db.reading() as s:
        assert s.get(Instance, broken).applicant_phone_token == tokens[cases[1].id]


def test_J_PORTAL_the_code_lasts_ten_real_minutes_whatever_the_engine_clock(scenario, monkeypatch):
    engine = scenario.engine
    wall = AdjustableClock()
    monkeypatch.setattr(engine, "wall_clock", wall)
    engine.apply_online("dibao", JIANGYIN, application())
    engine.send_sign_in_code(PHONE)
    code = _code(engine)
    engine.clock.advance(dt.timedelta(days=30))  # a demo's clock advance
    engine.send_sign_in_code(PHONE)  # still within the real minute: no second code
    assert _code(engine) == code
    assert engine.check_sign_in_code(PHONE, code) is not None
    wall.advance(dt.timedelta(minutes=2))
    engine.send_sign_in_code(PHONE)
    late = _code(engine)
    wall.advance(dt.timedelta(minutes=11))
    assert engine.check_sign_in_code(PHONE, late) is None  # ten real minutes are over


def test_J_PORTAL_the_applicant_session_ends_on_the_wall_clock_not_the_engine_clock(  # noqa: F811
        live, scenario, monkeypatch):  # noqa: F811
    engine = scenario.engine
    wall = AdjustableClock()
    monkeypatch.setattr(engine, "wall_clock", wall)
    case = engine.apply_online("dibao", JIANGYIN, application())
    http, token = _visitor(live.base)
    _ask_code(http, live.base, token, PHONE)
    signed = http.post(f"{live.base}/portal/sign-in/code", data={"csrf_token": token, "code": _code(engine)},
                       timeout=10)
    assert signed.url.endswith("/portal/mine") and case.business_key in signed.text
    engine.clock.advance(dt.timedelta(days=30))  # the demo moves its deadlines on
    mine = http.get(f"{live.base}/portal/mine", timeout=10, allow_redirects=False)
    assert mine.status_code == 200 and case.business_key in mine.text
    wall.advance(dt.timedelta(minutes=31))
    ended = http.get(f"{live.base}/portal/mine", timeout=10, allow_redirects=False)
    assert ended.status_code == 302 and ended.headers["Location"].endswith("/portal/sign-in")


def test_J_PORTAL_a_code_dated_ahead_by_a_demo_clock_neither_blocks_nor_signs_in(scenario):
    """Codes made before they used the wall clock carry the engine's (a demo's may be weeks
    ahead): such a code does not hold back the phone's next code, nor does it sign in."""
    engine = scenario.engine
    engine.apply_online("dibao", JIANGYIN, application())
    engine.send_sign_in_code(PHONE)
    ahead = _code(engine)
    with engine.db.session() as s:
        row = s.scalar(sa.select(ApplicantCode))
        row.created_at += dt.timedelta(days=30)
        row.expires_at += dt.timedelta(days=30)
    assert engine.check_sign_in_code(PHONE, ahead) is None
    engine.send_sign_in_code(PHONE)  # at once: the dated-ahead code is no recent one
    with engine.db.reading() as s:
        assert s.scalar(sa.select(sa.func.count()).select_from(ApplicantCode)) == 2
    assert engine.check_sign_in_code(PHONE, _code(engine)) is not None
