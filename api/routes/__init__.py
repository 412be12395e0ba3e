"""Blueprints, one per area; each view parses input, calls one engine function, serialises."""

from api.routes import (
    admin_clock,
    auth,
    calendar,
    deployments,
    incidents,
    instances,
    intake,
    jobs,
    messages,
    outbox,
    tasks,
)

BLUEPRINTS = [auth.blp, deployments.blp, instances.blp, tasks.blp, messages.blp, jobs.blp, incidents.blp, intake.blp,
              outbox.blp, calendar.blp, admin_clock.blp]
