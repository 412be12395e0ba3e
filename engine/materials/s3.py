"""The S3-compatible file store (issue 15): uploaded materials as objects named by their
SHA-256 in one bucket, for a city or province whose app machines share no directory
(MinIO, Ceph RGW, a cloud's object storage). It behaves as the directory store
(engine/materials/files.py): content-addressed, so the same file is stored once; an
object is written whole before the row that names it is committed (S3 stores a PUT
whole or not at all, and the server checks the SHA-256 sent with it, so a body cut
short in transit is refused rather than kept); every read checks the content still has
its hash. Configured by RELIEF_MATERIALS_S3_* (api/settings.py, docs/deploy.md)."""

from __future__ import annotations

import base64
import hashlib
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from engine.materials.files import FileStoreError, check_sha256

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class S3Location:
    """Where the objects go and how to reach them; credentials None: boto3's own chain
    (AWS_* variables, a shared credentials file, an instance role)."""

    bucket: str
    endpoint: str | None = None
    prefix: str = "materials/"
    region: str | None = None
    access_key_id: str | None = None
    secret_access_key: str | None = None


class S3FileStore:
    """Files by SHA-256 as objects `prefix + sha[:2]/sha` of one bucket (which must exist)."""

    def __init__(self, location: S3Location, client: Any = None) -> None:
        self.location = location
        self._client = client

    @property
    def client(self) -> Any:
        """The boto3 S3 client, made when first used (boto3 is imported only where S3 is configured)."""
        if self._client is None:
            import boto3
            from botocore.config import Config

            loc = self.location
            self._client = boto3.client(
                "s3", endpoint_url=loc.endpoint, region_name=loc.region or "us-east-1",
                aws_access_key_id=loc.access_key_id, aws_secret_access_key=loc.secret_access_key,
                # Path-style addressing: MinIO and most self-hosted stores have no per-bucket DNS names.
                config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 3, "mode": "standard"},
                              connect_timeout=10, read_timeout=60))
        return self._client

    def key(self, sha256: str) -> str:
        """The object key of a SHA-256 (refused unless it is one: nothing else names an object)."""
        check_sha256(sha256)
        return f"{self.location.prefix}{sha256[:2]}/{sha256}"

    def _where(self) -> str:
        return f"s3://{self.location.bucket}/{self.location.prefix}"

    def put(self, content: bytes) -> str:
        """Store `content` (once) and return its SHA-256."""
        from botocore.exceptions import BotoCoreError, ClientError

        digest = hashlib.sha256(content)
        sha, key = digest.hexdigest(), self.key(digest.hexdigest())
        try:
            if self._exists(key):
                return sha
            # The SHA-256 goes with the body: the store refuses a body that does not match it.
            self.client.put_object(Bucket=self.location.bucket, Key=key, Body=content,
                                   ContentType="application/octet-stream",
                                   ChecksumSHA256=base64.b64encode(digest.digest()).decode())
        except (BotoCoreError, ClientError) as e:
            # The cause (endpoint, status) goes to the operator's log, not to the caller.
            log.warning("materials store %s refused or missed PUT %s: %s", self._where(), sha, e)
            raise FileStoreError(f"the file store {self._where()} did not take {sha}") from None
        return sha

    def _exists(self, key: str) -> bool:
        from botocore.exceptions import ClientError

        try:
            self.client.head_object(Bucket=self.location.bucket, Key=key)
        except ClientError as e:
            if e.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                return False
            raise
        return True

    def get(self, sha256: str) -> bytes:
        """The content stored under `sha256`, checked against it."""
        from botocore.exceptions import BotoCoreError, ClientError

        key = self.key(sha256)
        try:
            content: bytes = self.client.get_object(Bucket=self.location.bucket, Key=key)["Body"].read()
        except ClientError as e:
            if e.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                raise FileStoreError(f"stored file {sha256} is missing from {self._where()}") from None
            log.warning("materials store %s refused GET %s: %s", self._where(), sha256, e)
            raise FileStoreError(f"the file store {self._where()} did not return {sha256}") from None
        except BotoCoreError as e:
            log.warning("materials store %s missed GET %s: %s", self._where(), sha256, e)
            raise FileStoreError(f"the file store {self._where()} did not return {sha256}") from None
        if hashlib.sha256(content).hexdigest() != sha256:
            raise FileStoreError(f"stored file {sha256} no longer matches its SHA-256")
        return content

    def stored(self) -> Iterator[str]:
        """The SHA-256 of every stored file (for backups, audits of orphans, tests)."""
        pages = self.client.get_paginator("list_objects_v2").paginate(Bucket=self.location.bucket,
                                                                       Prefix=self.location.prefix)
        for page in pages:
            for obj in page.get("Contents", []):
                yield obj["Key"].rsplit("/", 1)[-1]
