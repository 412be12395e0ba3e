"""Helpers the route modules share."""

from __future__ import annotations

from flask import current_app

from engine.service import Engine


def engine() -> Engine:
    return current_app.extensions["relief_engine"]
