"""Blueprints, one per area; each view parses input, calls one engine function, serialises."""

from api.routes import auth, deployments, instances, messages, tasks

BLUEPRINTS = [auth.blp, deployments.blp, instances.blp, tasks.blp, messages.blp]
