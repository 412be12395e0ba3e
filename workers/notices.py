"""Applicant notices (SMS texts): one-time notice, refusal, result, delay (J-ONCE,
J-ACCEPT, J-T2F, W-REFUSE, W-SUPERVISE). Texts name the case and the reason."""

from __future__ import annotations

from typing import Any

from engine.calendar import SHANGHAI
from engine.forms.validators import is_valid_cn_mobile
from engine.store.records import PRIVATE_TEMPLATES
from workers import sms
from workers.context import Completion, HandlerContext, JobView, keep_on_completion
from workers.errors import HandlerFailed

TEMPLATES: dict[str, str] = {
    "received": "【社会救助】{name}您好，您的救助申请（{key}）已受理，我们将在法定时限内办理。",
    "missing_materials": "【社会救助】{name}您好，您的申请（{key}）材料不全，请一次性补齐：{detail}。",
    "supplement_required": "【社会救助】{name}您好，您的紧急申请（{key}）已先行受理，请补交：{detail}。",
    "supplement_reminder": ("【社会救助】{name}您好，您的紧急申请（{key}）仍在办理，"
                            "补证期限已到，请尽快补交：{detail}。"),
    "refusal": "【社会救助】{name}您好，您的申请（{key}）不予受理/不予批准，理由：{detail}。如有异议可申请复核。",
    "not_relief_matter": "【社会救助】{name}您好，您反映的事项不属于社会救助范围，请向{detail}申请。",
    "dispatched": "【社会救助】{name}您好，您的申请（{key}）已转{detail}办理。",
    "materials_guide": "【社会救助】{name}您好，您的申请（{key}）办理须知：{detail}。",
    "result": "【社会救助】{name}您好，您的申请（{key}）已办结：{detail}。",
    "department_result": "【社会救助】{name}您好，您的申请（{key}）部门已办结：{detail}。",
    "approved": "【社会救助】{name}您好，您的申请（{key}）已获批准：{detail}。",
    "progress": "【社会救助】{name}您好，您的申请（{key}）办理进度：{detail}。",
    "temporary_aid_advice": "【社会救助】{name}您好，您的情况符合临时救助条件，我们将协助您申请临时救助。{detail}",
    "delay_notice": "【社会救助】{name}您好，您的申请（{key}）办理超出时限，已督办：{detail}。",
    "referral": "【社会救助】{name}您好，您的情况已转介至{detail}，他们将与您联系。",
    "archived": "【社会救助】{name}您好，您的申请（{key}）已办结归档。",
    # the portal's online application (J-CH-ONLINE): the application number, to query progress
    "applied": ("【社会救助】{name}您好，您的救助申请已在网上提交，申办流水号 {key}，"
                "可凭此号和身份证号码或手机号码后 4 位查询办理进度。"),
    # J-CHECK 定期复核 (workflows/review/household_review.bpmn)
    "review_adjusted": "【社会救助】{name}您好，经定期复核，您家的救助调整为：{detail}。如有异议可申请复核。",
    "review_stopped": "【社会救助】{name}您好，经定期复核，您家的救助将停止发放，理由：{detail}。如有异议可申请复核。",
}


def render(template: str, case: dict[str, Any], message: str | None, key: str) -> str:
    if template not in TEMPLATES:
        raise ValueError(f"unknown notice template '{template}' (known: {', '.join(sorted(TEMPLATES))})")
    name = str(case.get("applicant_name") or "申请人")
    detail = message or "详见书面通知"
    if "{detail}。" in TEMPLATES[template]:
        # a reason typed with its own full stop must not end the SMS with "。。"
        detail = detail.rstrip("。.；; ") or "详见书面通知"
    return TEMPLATES[template].format(name=name, key=key, detail=detail)


# What a handler passes to find a notice the engine wrote (engine.records refuses to write one
# of these): keep() returns the job's existing record and ignores the fields.
ENGINE_WRITTEN = {"channel": "sms", "template": "", "message": "-"}


def deliver_private(job: JobView, ctx: HandlerContext, template: str) -> dict[str, Any]:
    """A private notice (the portal's sign-in code, engine.store.records.PRIVATE_TEMPLATES):
    the engine wrote it in the outbox with this job's key; hand it to the gateway when one is
    configured. Nothing of its text goes into the job's result or error (the case's history
    and the incidents page show those to staff)."""
    row = ctx.records.keep("notification", dict(ENGINE_WRITTEN, template=template))
    out: dict[str, Any] = {"notification_id": row["id"], "channel": row["channel"]}
    if sms.gateway_url() and row["status"] != "sent":
        try:
            sms.send(row["to"], row["message"], job.idempotency_key)
        except HandlerFailed as err:  # the gateway's answer might quote the text
            raise HandlerFailed(str(err), {k: v for k, v in err.details.items() if k != "body"}) from None
        ctx.records.notification_sent()
        out["sent"] = True
    return out


def notify_applicant(job: JobView, ctx: HandlerContext) -> dict[str, Any] | Completion:
    """Queue the notice in the SMS outbox; without a mobile phone it is a written notice.
    Kept with the job's completion, unless an SMS gateway sends it (then kept first, and
    marked sent once the gateway took it)."""
    template = str(job.params.get("template") or "")
    if template in PRIVATE_TEMPLATES:
        return deliver_private(job, ctx, template)
    message = job.params.get("message")
    # A detached job (the portal's application SMS) carries no case snapshot: the engine puts
    # the applicant's name and phone in its parameters instead.
    case = job.case or dict(job.params.get("case") or {})
    text = render(template, case, None if message is None else str(message),
                  job.business_key or job.instance_id[:8])
    phone = str(case.get("applicant_phone") or "")
    # an SMS needs a mobile; a landline or no phone at all gets a written notice (letter)
    channel = "sms" if is_valid_cn_mobile(phone) else "letter"
    fields = {"channel": channel, "to": phone, "template": template, "message": text}
    out: dict[str, Any] = {"channel": channel, "sent_on": ctx.now.astimezone(SHANGHAI).date().isoformat()}
    if not (channel == "sms" and sms.gateway_url()):
        _to_hotline(job, ctx, template, text)
        return keep_on_completion(out, "notification", fields, notification_id="id")
    row = ctx.records.keep("notification", fields)  # before the gateway: a retry must not send twice
    out["notification_id"] = row["id"]
    if row["status"] != "sent":
        out["gateway"] = sms.send(phone, text, job.idempotency_key)
        ctx.records.notification_sent()
    _to_hotline(job, ctx, template, text)
    return out


def _to_hotline(job: JobView, ctx: HandlerContext, template: str, text: str) -> None:
    if job.case.get("hotline_ticket"):
        # A case from the 12345 platform gets each notice there too (J-CH-12345), as a
        # detached job of its own, retried on its own; the engine finds the ticket.
        ctx.records.push_to_hotline(template, text)
