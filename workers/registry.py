"""Worker topic → handler. The diagrams name these topics in their service tasks;
`hotline.status` is queued as a detached job for cases from the 12345 platform."""

from __future__ import annotations

from workers.context import Handler
from workers.data_platform import check_duplicates, fetch_household, verify_eligibility
from workers.handoffs import dispatch_to_department, record_ledger, refer
from workers.hotline import push_status
from workers.notices import notify_applicant

HANDLERS: dict[str, Handler] = {
    "department.dispatch": dispatch_to_department,
    "referral.dispatch": refer,
    "applicant.notify": notify_applicant,
    "ledger.record": record_ledger,
    "household.fetch": fetch_household,
    "eligibility.verify": verify_eligibility,
    "aid.dedup": check_duplicates,
    "hotline.status": push_status,
}


def topics() -> list[str]:
    return sorted(HANDLERS)
