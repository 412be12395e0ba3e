"""The SMS outbox (applicant notices) and the electronic ledger (W-LEDGER), with the
ledger's CSV export."""

from __future__ import annotations

import csv
import io
from typing import Any

from flask import Response
from flask_smorest import Blueprint

from api import worker_schemas as ws
from api.routes.common import engine
from api.security import STAFF, current_principal, rule
from engine.store.records import LedgerEntry, Notification

blp = Blueprint("outbox", __name__, url_prefix="/api/v1", description="SMS outbox and electronic ledger")
LEDGER_COLUMNS = ["id", "recorded_on", "recorded_at", "business_key", "instance_id", "stage", "summary", "due_by",
                  "late"]


@blp.route("/outbox", methods=["GET"])
@rule(*STAFF)
@blp.arguments(ws.OutboxQuery, location="query")
@blp.response(200, ws.NotificationOut(many=True))
def outbox(args: dict[str, Any]) -> list[Notification]:
    """Applicant notices of the cases you may see, newest first; phone numbers masked (J-SEC)."""
    return engine().notifications_for(current_principal(), args.get("instance"), args.get("status"),
                                      args["limit"], args["offset"])


def _ledger(args: dict[str, Any]) -> list[LedgerEntry]:
    return engine().ledger_for(current_principal(), args.get("on"), args.get("business_key"), args.get("stage"),
                               args["limit"], args["offset"], args.get("late"))


@blp.route("/ledger", methods=["GET"])
@rule(*STAFF, "auditor")
@blp.arguments(ws.LedgerQuery, location="query")
@blp.response(200, ws.LedgerOut(many=True))
def ledger(args: dict[str, Any]) -> list[LedgerEntry]:
    """Ledger entries (acceptance, review, department handling) of the cases you may see, oldest first."""
    return _ledger(args)


@blp.route("/ledger.csv", methods=["GET"])
@rule(*STAFF, "auditor")
@blp.arguments(ws.LedgerQuery, location="query")
@blp.response(200, content_type="text/csv")
def ledger_csv(args: dict[str, Any]) -> Response:
    """The same entries as CSV (UTF-8 with BOM, so that spreadsheet programs read the Chinese)."""
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out)
    writer.writerow(LEDGER_COLUMNS)
    for e in _ledger(args):
        writer.writerow([e.id, e.recorded_on.isoformat(), e.recorded_at.isoformat(), e.business_key or "",
                         e.instance_id, e.stage, e.summary, e.due_by.isoformat() if e.due_by else "",
                         "yes" if e.late else "no"])
    name = f"ledger-{args['on'].isoformat() if args.get('on') else 'all'}.csv"
    return Response(out.getvalue(), mimetype="text/csv",
                    headers={"Content-Disposition": f"attachment; filename={name}"})
