"""The portal's commands and queries, mixed into the Engine (engine/service.py): what the
public pages and the dashboard call, and nothing else does."""

from __future__ import annotations

import datetime as dt
import secrets
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from engine.auth import Principal, scope
from engine.definitions import approval
from engine.errors import Conflict, NotFound, ValidationFailed
from engine.forms import FormDefinition, validate_submission
from engine.portal import closing, items, progress, stats, stats_breakdowns
from engine.portal.applicants import ApplicantService, checked_materials
from engine.portal.masking import mask_name
from engine.store.models import Definition, HumanTask, Instance
from engine.store.portal_models import CaseRating, Complaint, PublicNotice

PORTAL_ACTOR = "portal"  # who starts an online application (the applicant is not signed in)
KEY_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ"  # letters only: a key never looks like a phone or ID number
MAX_COMMENT = 500
MAX_COMPLAINT = 2000
BAD_RATING = 2  # 1-2: a reason is required and the centre follows it up (GB/T 39735-2020)
FOLLOW_UP_WORKING_DAYS = 5
NOTICE_DAYS = 7  # the posting period of a public notice, in calendar days (W-NOTICE: 张榜公示)
# The process a complaint or a bad rating starts (workflows/feedback/complaint_handling.bpmn):
# accepted, investigated and answered against its own working-day limits, with the applicant's
# satisfaction asked at the end (W-COMPLAIN, J-FEEDBACK); its end closes the row (closing.py).
COMPLAINT_PROCESS = closing.COMPLAINT_PROCESS


class PortalService(ApplicantService):
    """Applicant-side commands and the statistics; `Engine` inherits them."""

    items_path: Path = items.DEFAULT_PATH

    # item list and application -------------------------------------------------------
    def item_list(self) -> items.ItemList:
        """The item list (J-ITEMS), read from its file."""
        return items.load(self.items_path)

    def apply_online(self, item_key: str, region: str, data: dict[str, Any],
                     files: dict[str, tuple[str | None, bytes]] | None = None) -> Instance:
        """Start an online application (J-CH-ONLINE) for `item_key` in the variant of `region`:
        the channel is the office's online value whatever the data says; the start form's
        checks apply (422 naming fields). `files` are the item's materials uploaded with it
        (kind -> (file name, content)), checked like the staff's uploads before anything is
        stored (422 naming `material_<kind>`), then kept as the new case's materials. The new
        case carries a fresh application number, sent to the applicant's mobile by SMS."""
        listing = self.item_list()
        item = listing.item(item_key)
        office = listing.office_for(item, region)
        data = dict(data, channel=office.channel)
        checked = []
        if files:
            config = self._materials()  # type: ignore[attr-defined]
            try:
                checked = checked_materials(item, files, config.max_bytes,
                                            self.material_checklist_file().kinds())  # type: ignore[attr-defined]
            except ValidationFailed as err:
                # The form's own faults said at the same time: one round trip for the applicant.
                fields = dict(err.details.get("fields") or {})
                try:
                    validate_submission(self.start_form(office.process), data)
                except ValidationFailed as form_err:
                    fields.update(form_err.details.get("fields") or {})
                raise ValidationFailed(err.message, dict(err.details, fields=fields)) from None
        day = self.clock.now().astimezone(dt.timezone(dt.timedelta(hours=8))).strftime("%Y%m%d")
        key = f"WS{day}-" + "".join(secrets.choice(KEY_ALPHABET) for _ in range(8))
        case = self.start(office.process, data, key, PORTAL_ACTOR, region=office.region)
        self._store_application_materials(case, office.region, checked)
        self._queue_application_sms(case, data)
        return case

    def start_form(self, process: str) -> FormDefinition:
        """The start form of the version of `process` that takes new cases (404 if none or
        it has no start form)."""
        with self.db.reading() as s:
            definition = s.scalar(sa.select(Definition).where(Definition.key == process, approval.STARTABLE)
                                  .order_by(Definition.version.desc()).limit(1))
            if definition is None or not definition.start_form_key:
                raise NotFound(f"no start form for '{process}'", {"definition": process})
            return self.specs.form(s, definition.deployment_id, definition.start_form_key)

    # progress ---------------------------------------------------------------------------
    def progress(self, business_key: str, secret: str) -> progress.Progress | None:
        """The case `business_key` names if `secret` is its second factor; None otherwise
        (the same None for a number that names no case and for a wrong second factor)."""
        business_key = business_key.strip()
        if not business_key or len(business_key) > 120:
            return None
        with self.db.reading() as s:
            cases = list(s.scalars(sa.select(Instance).where(Instance.business_key == business_key).limit(5)))
        for case in cases:
            if progress.matches(self.case_data(case), secret):
                return self._progress(case)
        return None

    def progress_of(self, instance_id: str) -> progress.Progress | None:
        """The progress of a case whose second factor the caller has already checked (the
        portal keeps that case's id in the visitor's session), or None."""
        with self.db.reading() as s:
            case = s.get(Instance, instance_id)
        return self._progress(case) if case is not None else None

    def _progress(self, case: Instance) -> progress.Progress:
        with self.db.reading() as s:
            tasks = list(s.scalars(sa.select(HumanTask).where(HumanTask.instance_id == case.id)
                                   .order_by(HumanTask.created_at, HumanTask.id)))
            rated = s.scalar(sa.select(CaseRating.id).where(CaseRating.instance_id == case.id)) is not None
        stages = [progress.Stage(t.name, t.created_at, t.ended_at, t.due_at, t.state) for t in tasks]
        return progress.Progress(case.id, case.business_key or "", case.definition.name, case.status,
                                 case.started_at, case.ended_at, stages, rated)

    # ratings and complaints (J-FEEDBACK, W-COMPLAIN) ------------------------------------
    def rate_case(self, instance_id: str, score: Any, comment: str = "") -> CaseRating:
        """Rate an ended case once: 1-5, a reason required for 1-2 (then followed up by the
        centre within five working days: the complaint process starts for it). 409 before the
        case ends or when already rated."""
        if isinstance(score, bool) or not isinstance(score, int) or not 1 <= score <= 5:
            raise ValidationFailed("score must be a whole number from 1 to 5", {"fields": {"score": ["1-5"]}})
        comment = (comment or "").strip()
        if len(comment) > MAX_COMMENT:
            raise ValidationFailed(f"comment must be at most {MAX_COMMENT} characters",
                                   {"fields": {"comment": [f"at most {MAX_COMMENT} characters"]}})
        if score <= BAD_RATING and not comment:
            raise ValidationFailed("a rating of 1 or 2 needs a reason", {"fields": {"comment": ["required"]}})
        now = self.clock.now()
        with self.db.session() as s:
            # The case row locked: two ratings at once are taken one after the other (the
            # unique index on the rating's case would refuse the second anyway).
            case = s.execute(sa.select(Instance.ended_at, Instance.region).where(Instance.id == instance_id)
                             .with_for_update()).first()
            if case is None or case.ended_at is None:
                raise Conflict("the case has not ended: it can be rated once it has", {"instance": instance_id})
            if s.scalar(sa.select(CaseRating.id).where(CaseRating.instance_id == instance_id)) is not None:
                raise Conflict("the case has been rated already", {"instance": instance_id})
            due = None
            if score <= BAD_RATING:
                due = dt.datetime.fromisoformat(self.calendar.current().add_working_days(
                    now, FOLLOW_UP_WORKING_DAYS, case.region))
            row = CaseRating(instance_id=instance_id, region=case.region, score=score, comment=comment,
                             created_at=now, follow_up_due=due)
            s.add(row)
            s.flush()
        if score <= BAD_RATING:
            self._start_complaint(f"CP-{row.id}", case.region, instance_id, {
                "complaint_source": "rating", "complaint_text": comment, "rating_score": score})
        return row

    def _start_complaint(self, key: str, region: str | None, instance_id: str, data: dict[str, Any]) -> None:
        """Start the complaint process for a complaint or bad rating about `instance_id`, in that
        case's region (so its staff see the tasks). A county that has not deployed the process
        keeps the stored row only (listed by `feedback_for`, as before the process existed)."""
        with self.db.reading() as s:
            subject = s.scalar(sa.select(Instance.business_key).where(Instance.id == instance_id))
        try:
            self.start(COMPLAINT_PROCESS, dict(data, subject_case=subject or ""), key, PORTAL_ACTOR, region=region)
        except NotFound as err:
            if err.details.get("definition") != COMPLAINT_PROCESS:
                raise

    def file_complaint(self, instance_id: str, text: str) -> Complaint:
        """A complaint about a case, stored for the county centre (status open), and the
        complaint process started for it (W-COMPLAIN)."""
        text = (text or "").strip()
        if not text or len(text) > MAX_COMPLAINT:
            raise ValidationFailed(f"text must be 1-{MAX_COMPLAINT} characters",
                                   {"fields": {"text": [f"1-{MAX_COMPLAINT} characters"]}})
        with self.db.session() as s:
            case = s.get(Instance, instance_id)
            if case is None:
                raise Conflict("no such case", {"instance": instance_id})
            row = Complaint(instance_id=instance_id, region=case.region, text=text, status="open",
                            created_at=self.clock.now())
            s.add(row)
            s.flush()
            region = case.region
        self._start_complaint(f"TS-{row.id}", region, instance_id,
                              {"complaint_source": "portal", "complaint_text": text})
        return row

    # public notices (J-PUBLIC, W-NOTICE) ------------------------------------------------
    def post_notice(self, who: Principal, instance_id: str, item: str, amount: str | None = None,
                    household_size: int | None = None, days: int = NOTICE_DAYS) -> PublicNotice:
        """Post a completed case publicly for `days` from today: the applicant's masked name,
        household size, item and amount only. Staff of the case's scope (403/404 otherwise)."""
        case = self.instance_for(who, instance_id)
        if case.status != "completed":
            raise Conflict("only a completed case is posted", {"instance": instance_id})
        name = self.case_data(case).get("applicant_name")
        if household_size is not None and not 1 <= household_size <= 30:
            raise ValidationFailed("household_size must be 1-30", {"fields": {"household_size": ["1-30"]}})
        today = self.clock.now().astimezone(dt.timezone(dt.timedelta(hours=8))).date()
        with self.db.session() as s:
            if s.scalar(sa.select(PublicNotice.id).where(PublicNotice.instance_id == case.id)) is not None:
                raise Conflict("the case has been posted already", {"instance": instance_id})
            row = PublicNotice(instance_id=case.id, region=case.region, masked_name=mask_name(str(name or "")),
                               household_size=household_size, item=item[:80], amount=amount,
                               posted_from=today, posted_until=today + dt.timedelta(days=days - 1),
                               created_by=who.username)
            s.add(row)
            s.flush()
            return row

    def public_notices(self, limit: int = 200) -> list[PublicNotice]:
        """The notices in their posting period today, newest first."""
        today = self.clock.now().astimezone(dt.timezone(dt.timedelta(hours=8))).date()
        with self.db.reading() as s:
            return list(s.scalars(sa.select(PublicNotice).where(
                PublicNotice.posted_until >= today, PublicNotice.posted_from <= today)
                .order_by(PublicNotice.posted_from.desc(), PublicNotice.id.desc()).limit(limit)))

    def feedback_for(self, who: Principal, limit: int = 100) -> list[dict[str, Any]]:
        """Bad ratings (1-2, with their follow-up deadline) and open complaints of the cases
        `who` may see, soonest follow-up first then newest: what the centre follows up."""
        with self.db.reading() as s:
            ratings = s.execute(sa.select(CaseRating, Instance.business_key).join(
                Instance, Instance.id == CaseRating.instance_id).where(
                scope.instance_clause(who), CaseRating.score <= BAD_RATING, CaseRating.followed_up_at.is_(None))
                .order_by(CaseRating.follow_up_due, CaseRating.id).limit(limit)).all()
            complaints = s.execute(sa.select(Complaint, Instance.business_key).join(
                Instance, Instance.id == Complaint.instance_id).where(
                scope.instance_clause(who), Complaint.status == "open")
                .order_by(Complaint.created_at.desc(), Complaint.id.desc()).limit(limit)).all()
        rows = [{"kind": "rating", "business_key": key, "score": r.score, "text": r.comment, "at": r.created_at,
                 "due": r.follow_up_due} for r, key in ratings]
        rows += [{"kind": "complaint", "business_key": key, "score": None, "text": c.text, "at": c.created_at,
                  "due": None} for c, key in complaints]
        return rows

    # statistics (J-DATA, W-STATS) --------------------------------------------------------
    def dashboard(self, who: Principal, since: dt.date, until: dt.date | None = None) -> dict[str, Any]:
        """The dashboard's figures for the cases `who` may see started from `since` (before
        `until`): the charts of engine/portal/stats.py and the breakdowns by hour, weekday,
        region and department (engine/portal/stats_breakdowns.py)."""
        now = self.clock.now()
        calendar = self.calendar.current()
        with self.db.reading() as s:
            if s.get_bind().dialect.name == "postgresql":
                # The charts' aggregates cost enough for PostgreSQL to compile them (JIT), which
                # took longer than running them (a third of a second at a million cases).
                s.execute(sa.text("SET LOCAL jit = off"))
            result = stats.figures(s, who, since, now, until)
            result.update(stats_breakdowns.breakdowns(
                s, who, stats.midnight(since), stats.midnight(until) if until else None, now,
                lambda after, through: calendar.working_days_between(after, through, who.region)))
        return result
