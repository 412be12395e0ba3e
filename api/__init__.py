"""The Flask app: JSON API under /api/v1 with its OpenAPI document, and the CLI."""

from api.app import create_app

__all__ = ["create_app"]
