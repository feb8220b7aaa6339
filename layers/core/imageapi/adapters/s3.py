"""Object storage: the S3 implementation of ``ObjectStore`` (imageapi.domain.ports).

Image bytes never pass through an API response: clients get presigned URLs instead.
"""

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING
from urllib.parse import quote

from imageapi.domain.errors import PayloadTooLarge
from imageapi.domain.models import UploadForm

if TYPE_CHECKING:  # boto3 stubs are not needed at run time
    from mypy_boto3_s3 import S3Client
    from mypy_boto3_s3.type_defs import ObjectIdentifierTypeDef


class S3ObjectStore:
    def __init__(self, client: "S3Client", bucket: str) -> None:
        self._s3 = client
        self._bucket = bucket

    def presigned_post(self, key: str, content_type: str, max_bytes: int, expires_in: int) -> UploadForm:
        # The form is bound to one key, one content type and 1..max_bytes bytes; S3 refuses the
        # rest before anything is stored.
        post = self._s3.generate_presigned_post(
            Bucket=self._bucket,
            Key=key,
            Fields={"Content-Type": content_type},
            Conditions=[{"Content-Type": content_type}, ["content-length-range", 1, max_bytes]],
            ExpiresIn=expires_in,
        )
        expires_at = datetime.now(UTC) + timedelta(seconds=expires_in)
        return UploadForm(url=post["url"], fields=post["fields"], expires_at=expires_at)

    def presigned_get(
        self,
        key: str,
        expires_in: int,
        *,
        filename: str | None = None,
        content_type: str | None = None,
        inline: bool = False,
    ) -> str:
        params: dict[str, str] = {"Bucket": self._bucket, "Key": key}
        if filename:
            params["ResponseContentDisposition"] = content_disposition(filename, inline=inline)
        if content_type:
            params["ResponseContentType"] = content_type
        return self._s3.generate_presigned_url("get_object", Params=params, ExpiresIn=expires_in)

    def get(self, key: str, max_bytes: int | None = None) -> bytes | None:
        try:
            response = self._s3.get_object(Bucket=self._bucket, Key=key)
        except self._s3.exceptions.NoSuchKey:
            return None
        if max_bytes is not None and response["ContentLength"] > max_bytes:
            response["Body"].close()
            raise PayloadTooLarge(f"object is larger than {max_bytes} bytes")
        return response["Body"].read()

    def put(self, key: str, data: bytes, content_type: str) -> None:
        self._s3.put_object(Bucket=self._bucket, Key=key, Body=data, ContentType=content_type)

    def copy(self, source_key: str, target_key: str) -> bool:
        """False when the source does not exist (any more)."""
        try:
            self._s3.copy_object(
                Bucket=self._bucket,
                Key=target_key,
                CopySource={"Bucket": self._bucket, "Key": source_key},
            )
        except self._s3.exceptions.NoSuchKey:
            return False
        return True

    def delete(self, key: str) -> None:
        self._s3.delete_object(Bucket=self._bucket, Key=key)

    def delete_prefix(self, prefix: str) -> int:
        deleted = 0
        paginator = self._s3.get_paginator("list_objects_v2")
        for page in paginator.paginate(Bucket=self._bucket, Prefix=prefix):
            objects: list[ObjectIdentifierTypeDef] = [{"Key": item["Key"]} for item in page.get("Contents", [])]
            if objects:
                self._s3.delete_objects(Bucket=self._bucket, Delete={"Objects": objects, "Quiet": True})
                deleted += len(objects)
        return deleted

    def content_type(self, key: str) -> str | None:
        """The stored object's content type, or None when there is no such object."""
        try:
            head = self._s3.head_object(Bucket=self._bucket, Key=key)
        except self._s3.exceptions.ClientError as error:
            if error.response["Error"]["Code"] in ("404", "NoSuchKey", "NotFound"):
                return None
            raise
        return head.get("ContentType") or "application/octet-stream"


def content_disposition(filename: str, *, inline: bool = False) -> str:
    """A Content-Disposition safe for any title: ASCII fallback plus RFC 5987 UTF-8 name."""
    ascii_name = "".join(ch if ch.isascii() and (ch.isalnum() or ch in "._- ") else "_" for ch in filename)
    ascii_name = ascii_name.strip(" .") or "image"
    kind = "inline" if inline else "attachment"
    return f"{kind}; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename, safe='')}"
