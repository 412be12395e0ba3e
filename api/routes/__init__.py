"""Blueprints, one per area; each view parses input, calls one engine function, serialises."""

from api.routes import (
    admin_clock,
    approvals,
    audit,
    auth,
    calendar,
    deployments,
    incidents,
    instances,
    intake,
    job_records,
    jobs,
    materials,
    messages,
    outbox,
    tasks,
)

BLUEPRINTS = [auth.blp, deployments.blp, instances.blp, tasks.blp, messages.blp, jobs.blp, job_records.blp,
              incidents.blp, intake.blp, outbox.blp, calendar.blp, admin_clock.blp, approvals.blp,
              audit.blp, materials.blp]
