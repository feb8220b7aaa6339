"""The versioned side of the images bucket (``ObjectVersions`` of imageapi.domain.trash).

The bucket keeps every version (template: VersioningConfiguration). Restoring from the trash
removes the delete markers, so the versions the delete hid become current again (the same bytes,
not a copy); a permanent delete removes every version and marker under the image's prefixes.
"""

from collections.abc import Iterator
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # boto3 stubs are not needed at run time
    from mypy_boto3_s3 import S3Client
    from mypy_boto3_s3.type_defs import ListObjectVersionsOutputTypeDef, ObjectIdentifierTypeDef

_DELETE_BATCH = 1000  # DeleteObjects takes at most this many keys


class S3ObjectVersions:
    def __init__(self, client: "S3Client", bucket: str) -> None:
        self._s3 = client
        self._bucket = bucket

    def _pages(self, prefix: str) -> Iterator["ListObjectVersionsOutputTypeDef"]:
        yield from self._s3.get_paginator("list_object_versions").paginate(Bucket=self._bucket, Prefix=prefix)

    def _delete(self, objects: list["ObjectIdentifierTypeDef"]) -> None:
        for start in range(0, len(objects), _DELETE_BATCH):
            batch = objects[start : start + _DELETE_BATCH]
            answer = self._s3.delete_objects(Bucket=self._bucket, Delete={"Objects": batch, "Quiet": True})
            if answer.get("Errors"):
                raise RuntimeError(f"S3 refused to delete {len(answer['Errors'])} object versions")

    def undelete_prefix(self, prefix: str) -> list[str]:
        markers: list[ObjectIdentifierTypeDef] = []
        with_bytes: set[str] = set()
        for page in self._pages(prefix):
            markers += [{"Key": m["Key"], "VersionId": m["VersionId"]} for m in page.get("DeleteMarkers", [])]
            with_bytes.update(v["Key"] for v in page.get("Versions", []))
        self._delete(markers)
        return sorted(with_bytes)

    def purge_prefix(self, prefix: str) -> int:
        doomed: list[ObjectIdentifierTypeDef] = []
        for page in self._pages(prefix):
            for entry in [*page.get("Versions", []), *page.get("DeleteMarkers", [])]:
                doomed.append({"Key": entry["Key"], "VersionId": entry["VersionId"]})
        self._delete(doomed)
        return len(doomed)
