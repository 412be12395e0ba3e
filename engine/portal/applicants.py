"""The applicant's own side of the portal (J-PORTAL, J-CH-ONLINE): the materials uploaded with
an online application, the SMS with the application number, and a light sign-in by phone
and one-time SMS code after which an applicant sees all their cases ("我的申请").

The phone is never kept in clear for this: cases carry its keyed hash (instances.
applicant_phone_token, kept by engine/runtime/summary.py) and so do the codes, whose own
value is kept only as a keyed hash. A code goes only to a phone that has a case, but the
caller answers the same either way, so that nobody learns which phones have applied."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from engine import records
from engine.auth import Principal
from engine.crypto.columns import session_keyring
from engine.crypto.lookup import lookup_hashes
from engine.errors import ValidationFailed
from engine.forms.validators import is_valid_cn_mobile, normalise_cn_mobile
from engine.materials import kinds
from engine.portal.items import Item
from engine.store.models import Instance
from engine.store.portal_models import ApplicantCode
from engine.store.records import Notification

CODE_DIGITS = 6
CODE_MINUTES = 10  # a code is good for this long
CODE_TRIES = 5  # wrong tries that use a code up
RESEND_SECONDS = 60  # at most one code a minute per phone
CODES_PER_HOUR = 5  # and at most this many an hour (an SMS costs money; a flood annoys)
MATERIAL_FIELD = "material_{kind}"  # the field an uploaded material is named by (form input and 422)
APPLIED_TEMPLATE = "applied"  # workers/notices.py: the SMS with the application number
CODE_TEMPLATE = "sign_in_code"  # one of engine.store.records.PRIVATE_TEMPLATES
CODE_SMS_RETRIES = 3
NOTIFY_TOPIC = "applicant.notify"  # the SMS adapter's job (workers/notices.py)
CODE_TEXT = "【社会救助】您的申请查询验证码为 {code}，{minutes} 分钟内有效。请勿告诉他人。"


@dataclass(frozen=True)
class CaseSummary:
    """One of an applicant's cases as "我的申请" lists it: nothing but its number and state."""

    business_key: str
    process_name: str
    status: str
    started_at: dt.datetime
    ended_at: dt.datetime | None


def material_kinds(item: Item) -> list[str]:
    """The material kinds (materials/checklist.json keys) an applicant may upload for `item`,
    in the item's order: those of its materials that name a `kind` in workflows/items.json."""
    return [m["kind"] for m in item.materials if m.get("kind")]


def checked_materials(item: Item, files: dict[str, tuple[str | None, bytes]], max_bytes: int,
                      known: set[str]) -> list[tuple[str, str, str, bytes]]:
    """(kind, clean name, media type, content) of each upload, or ValidationFailed naming the
    field of the first one at fault (not the item's, empty, oversized, not PDF/JPEG/PNG by its
    content, or disguised). Checked before anything is stored."""
    allowed = [k for k in material_kinds(item) if k in known]
    out = []
    for kind, (filename, content) in files.items():
        field = MATERIAL_FIELD.format(kind=kind)
        if kind not in allowed:
            raise ValidationFailed(f"{field}: '{kind}' is not a material of item '{item.key}'",
                                   {"fields": {field: ["not a material of this item"]}})
        media_type = kinds.check(content, filename, max_bytes, field)
        out.append((kind, kinds.clean_name(filename), media_type, content))
    return out


def _code_hash(key: bytes, code: str, salt: str | None = None) -> str:
    salt = salt or secrets.token_hex(8)
    digest = hmac.new(key, f"sign-in-code:{salt}:{code}".encode(), hashlib.sha256).hexdigest()
    return f"{salt}:{digest}"


class ApplicantService:
    """Uploads with an application, the application's SMS, the applicant's sign-in and their
    cases; mixed into the Engine through PortalService."""

    def _store_application_materials(self, case: Instance, region: str | None,
                                      checked: list[tuple[str, str, str, bytes]]) -> None:
        """Put the checked uploads in the staff materials store and make them the new case's,
        each an event of its history, uploaded by the portal."""
        from engine.runtime.commands import UploadMaterial

        if not checked:
            return
        config = self._materials()  # type: ignore[attr-defined]
        portal = Principal("portal", ("applicant",), region=region)  # sees the cases the portal started
        for kind, name, media_type, content in checked:
            sha = config.files.put(content)
            self.executor.run(UploadMaterial(case.id, portal, kind, name, media_type,  # type: ignore[attr-defined]
                                             len(content), sha), portal.username)

    def _queue_application_sms(self, case: Instance, data: dict[str, Any]) -> None:
        """The SMS with the application number, through the SMS adapter's job (applicant.notify,
        workers/notices.py): the outbox, and the gateway where one is configured."""
        phone = data.get("applicant_phone")
        if isinstance(phone, str) and is_valid_cn_mobile(phone):
            # A detached job has no case snapshot: the name and phone the text needs go along.
            applicant = {"applicant_name": data.get("applicant_name"), "applicant_phone": phone}
            self.queue_job(case.id, NOTIFY_TOPIC,  # type: ignore[attr-defined]
                           {"template": APPLIED_TEMPLATE, "case": applicant}, f"applied:{case.id}", "portal")

    # sign-in ------------------------------------------------------------------------------
    def send_sign_in_code(self, phone: str) -> None:
        """Send a one-time code to `phone` if it has a case and no code went to it in the last
        minute (nor five in the last hour, by the wall clock); otherwise nothing. The caller
        answers the same either way. A text that is not a mobile number is refused naming
        `phone` (422)."""
        phone = (phone or "").strip()
        if not is_valid_cn_mobile(phone):
            raise ValidationFailed("phone must be a mainland mobile number", {"fields": {"phone": ["not a mobile"]}})
        # Real time (a demo's clock advance must not end a code, nor lift the limits).
        now = self.wall_clock.now()  # type: ignore[attr-defined]
        with self.db.session() as s:  # type: ignore[attr-defined]
            keyring = session_keyring(s)
            tokens = lookup_hashes(keyring, "phone", phone)
            case_id = s.scalar(sa.select(Instance.id).where(Instance.applicant_phone_token.in_(tokens))
                               .order_by(Instance.started_at.desc()).limit(1))
            if case_id is None:
                return
            # Bounded above too: a code made on a demo's engine clock (before codes used the wall
            # clock) may be dated ahead and must not block the phone until then.
            recent = list(s.scalars(sa.select(ApplicantCode.created_at).where(
                ApplicantCode.phone_token.in_(tokens),
                ApplicantCode.created_at.between(now - dt.timedelta(hours=1), now))))
            if len(recent) >= CODES_PER_HOUR or any(at > now - dt.timedelta(seconds=RESEND_SECONDS) for at in recent):
                return
            code = "".join(secrets.choice("0123456789") for _ in range(CODE_DIGITS))
            row = ApplicantCode(phone_token=tokens[0], code_hash=_code_hash(keyring.primary.lookup, code),
                                created_at=now, expires_at=now + dt.timedelta(minutes=CODE_MINUTES),
                                attempts=0, used=False)
            s.add(row)
            s.flush()
            self._queue_code_sms(s, case_id, normalise_cn_mobile(phone), code, f"sign-in-code:{row.id}")

    def _queue_code_sms(self, s: Session, case_id: str, phone: str, code: str, key: str) -> None:
        """The code's SMS through the SMS adapter, like every notice, but readable by nobody on
        staff: its outbox row (sealed at rest) is of a private kind no staff view or API lists
        (PRIVATE_TEMPLATES), and the job that hands it to the gateway (applicant.notify,
        workers/notices.py) carries only the row's key (its parameters and result go into the
        case's history). Both are written here, not by a command, so that no history entry
        holds the code either."""
        at = self.clock.now()  # type: ignore[attr-defined]  # the outbox and the job run on the engine's clock
        s.add(Notification(instance_id=case_id, idempotency_key=key, channel="sms", to=phone, template=CODE_TEMPLATE,
                           message=CODE_TEXT.format(code=code, minutes=CODE_MINUTES), status="queued", created_at=at))
        # Retried a few times only: a code is worth nothing after its ten minutes.
        s.add(records.detached_job(case_id, NOTIFY_TOPIC, {"template": CODE_TEMPLATE}, key, None, at,
                                   retries=CODE_SMS_RETRIES))

    def check_sign_in_code(self, phone: str, code: str) -> list[str] | None:
        """The phone's tokens under every configured key (what the applicant's session keeps:
        cases not yet re-hashed after a key rotation carry an older one) if `code` is the newest
        live code sent to `phone`; None otherwise, the same None whichever part was wrong. A
        wrong try counts against the code; a right one uses it up."""
        phone, code = (phone or "").strip(), (code or "").strip()
        if not is_valid_cn_mobile(phone) or not (len(code) == CODE_DIGITS and code.isdigit()):
            return None
        now = self.wall_clock.now()  # type: ignore[attr-defined]  # codes last real minutes
        with self.db.session() as s:  # type: ignore[attr-defined]
            keyring = session_keyring(s)
            tokens = lookup_hashes(keyring, "phone", phone)
            row = s.scalar(sa.select(ApplicantCode).where(
                ApplicantCode.phone_token.in_(tokens), ApplicantCode.used.is_(False),
                ApplicantCode.created_at <= now, ApplicantCode.expires_at > now)
                .order_by(ApplicantCode.id.desc()).limit(1).with_for_update())
            if row is None or row.attempts >= CODE_TRIES:
                return None
            salt = row.code_hash.split(":", 1)[0]
            if not hmac.compare_digest(_code_hash(keyring.primary.lookup, code, salt), row.code_hash):
                row.attempts += 1
                return None
            row.used = True
            return tokens

    # the applicant's cases --------------------------------------------------------------------
    def applicant_cases(self, phone_tokens: list[str], limit: int = 100) -> list[CaseSummary]:
        """The cases whose applicant's phone has one of `phone_tokens`, newest first."""
        if not phone_tokens:
            return []
        with self.db.reading() as s:  # type: ignore[attr-defined]
            rows = s.scalars(sa.select(Instance).where(Instance.applicant_phone_token.in_(phone_tokens))
                             .order_by(Instance.started_at.desc(), Instance.id).limit(limit))
            return [CaseSummary(r.business_key or "", r.definition.name, r.status, r.started_at, r.ended_at)
                    for r in rows]

    def applicant_case(self, phone_tokens: list[str], business_key: str) -> str | None:
        """The id of the case `business_key` if its applicant's phone has one of `phone_tokens`,
        else None (another person's case and no case at all look the same)."""
        if not phone_tokens or not business_key or len(business_key) > 120:
            return None
        with self.db.reading() as s:  # type: ignore[attr-defined]
            return s.scalar(sa.select(Instance.id).where(Instance.business_key == business_key,
                                                         Instance.applicant_phone_token.in_(phone_tokens)).limit(1))
