"""The list cursors' HMAC keys from AWS Secrets Manager (SPEC §3.3, docs/security.md).

The secret's ``AWSCURRENT`` version signs; its ``AWSPREVIOUS`` version (the one a rotation
replaced) still verifies for an hour after the current one was created
(``imageapi.domain.cursors``). The value is read when the first cursor is made or checked, once
per container (and again after a SnapStart restore), never from the function's environment.
"""

from dataclasses import dataclass
from typing import TYPE_CHECKING

from imageapi.domain.cursors import CursorKey, CursorKeys, key_id_of

if TYPE_CHECKING:
    from mypy_boto3_secretsmanager import SecretsManagerClient


@dataclass(frozen=True)
class SecretsManagerKeySource:
    client: "SecretsManagerClient"
    secret_id: str  # the secret's ARN (or name)

    def _version(self, stage: str) -> CursorKey | None:
        try:
            answer = self.client.get_secret_value(SecretId=self.secret_id, VersionStage=stage)
        except self.client.exceptions.ResourceNotFoundException:
            if stage == "AWSCURRENT":
                raise
            return None  # never rotated: no previous version
        value = answer["SecretString"]
        # The key id names the version, not the value: two versions with one value stay apart.
        return CursorKey(key_id_of(answer["VersionId"]), value.encode(), answer["CreatedDate"].timestamp())

    def load(self) -> CursorKeys:
        current = self._version("AWSCURRENT")
        assert current is not None
        return CursorKeys(current=current, previous=self._version("AWSPREVIOUS"))
