"""A real S3-compatible endpoint for tests: moto's ThreadedMotoServer, an HTTP server on a
free local port that boto3 talks to over the network like any MinIO (no in-process
patching), and the materials stores under test — the directory and a fresh bucket."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from engine.materials.files import FileStore, MaterialStore
from engine.materials.s3 import S3FileStore, S3Location

# moto takes any credentials; they are given explicitly so that nothing of the machine's own is read.
TEST_KEY_ID, TEST_SECRET = "relief-test-key", "relief-test-secret"


@pytest.fixture(scope="session")
def s3_endpoint() -> Iterator[str]:
    """The URL of a local S3 endpoint, for the whole session."""
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield f"http://{host}:{port}"
    finally:
        server.stop()


def fresh_bucket(endpoint: str) -> S3Location:
    """A new empty bucket on `endpoint` (one per test: what a test stores is all there is)."""
    location = S3Location(bucket=f"relief-{uuid.uuid4().hex[:12]}", endpoint=endpoint, prefix="materials/",
                          access_key_id=TEST_KEY_ID, secret_access_key=TEST_SECRET)
    S3FileStore(location).client.create_bucket(Bucket=location.bucket)
    return location


@dataclass
class StoreUnderTest:
    """One kind of materials store: the settings that select it and the store to look into."""

    kind: str  # directory | s3
    store: MaterialStore
    overrides: dict[str, Any] = field(default_factory=dict)  # for Settings.from_env / serving()

    def stored(self) -> list[str]:
        """The SHA-256 of every file kept so far."""
        return sorted(self.store.stored())


def store_under_test(kind: str, var_dir: Path, endpoint: str | None) -> StoreUnderTest:
    """The directory under `var_dir` (the default, var_dir/files) or a fresh bucket on `endpoint`."""
    if kind == "directory":
        return StoreUnderTest(kind, FileStore(var_dir / "files"))
    assert endpoint is not None
    location = fresh_bucket(endpoint)
    return StoreUnderTest(kind, S3FileStore(location), {"materials_s3": location})


@pytest.fixture(params=["directory", "s3"])
def materials_store(request: pytest.FixtureRequest, tmp_path: Path) -> StoreUnderTest:
    """Each materials test once with the directory store and once with an S3 bucket."""
    endpoint = request.getfixturevalue("s3_endpoint") if request.param == "s3" else None
    return store_under_test(request.param, tmp_path, endpoint)
