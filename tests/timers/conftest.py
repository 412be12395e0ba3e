"""The real HTTP server fixture of the API tests, for the calendar and clock endpoints."""

from tests.api.conftest import live  # noqa: F401 - re-exported fixture
