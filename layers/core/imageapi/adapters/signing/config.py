"""Which signer the environment asks for (DELIVERY_MODE and friends), built without a network call."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any, Literal

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

if TYPE_CHECKING:  # imported lazily at run time: s3 mode never loads cryptography
    from botocore.credentials import ReadOnlyCredentials

from imageapi.adapters.signing.cloudfront import CloudFrontRenditionSigner, secret_key_loader
from imageapi.adapters.signing.s3 import CredentialsSource, S3RenditionSigner
from imageapi.domain.delivery import (
    DEFAULT_TTL_SECONDS,
    DEFAULT_WINDOW_SECONDS,
    MAX_TTL_SECONDS,
    MAX_WINDOW_SECONDS,
    RenditionSigner,
)

# ---------------------------------------------------------------- configuration


class DeliverySettings(BaseSettings):
    """Environment variables set by template.yaml (and the local stack)."""

    model_config = SettingsConfigDict(env_prefix="", case_sensitive=False, extra="ignore")

    delivery_mode: Literal["cdn", "s3"] = "s3"
    delivery_url_ttl_seconds: int = Field(DEFAULT_TTL_SECONDS, ge=60, le=MAX_TTL_SECONDS)
    delivery_url_window_seconds: int = Field(DEFAULT_WINDOW_SECONDS, ge=60, le=MAX_WINDOW_SECONDS)
    # cdn mode: the distribution's URL, the trusted public key's id, where the private key is kept
    cdn_base_url: str = ""
    cdn_key_pair_id: str = ""
    cdn_private_key_secret: str = ""  # Secrets Manager ARN or name, or ssm:/parameter/name
    # s3 mode
    bucket_name: str = "images"

    @model_validator(mode="after")
    def _complete(self) -> DeliverySettings:
        if self.delivery_url_window_seconds > self.delivery_url_ttl_seconds:
            raise ValueError("DELIVERY_URL_WINDOW_SECONDS must not exceed DELIVERY_URL_TTL_SECONDS")
        if self.delivery_mode == "cdn":
            missing = [
                name.upper()
                for name in ("cdn_base_url", "cdn_key_pair_id", "cdn_private_key_secret")
                if not getattr(self, name)
            ]
            if missing:
                raise ValueError(f"DELIVERY_MODE=cdn needs {', '.join(missing)}")
        return self


def signer_from_settings(
    settings: DeliverySettings,
    *,
    secrets_client: Any = None,
    credentials: CredentialsSource | None = None,
    endpoint_url: str | None = None,
    region: str | None = None,
) -> RenditionSigner:
    """The signer the settings ask for. Clients/credentials default to boto3's; nothing is read
    from AWS until the first ``sign`` (and then, in cdn mode, once)."""
    ttl, window = settings.delivery_url_ttl_seconds, settings.delivery_url_window_seconds
    if settings.delivery_mode == "cdn":
        return CloudFrontRenditionSigner(
            settings.cdn_base_url,
            settings.cdn_key_pair_id,
            secret_key_loader(settings.cdn_private_key_secret, secrets_client),
            ttl_seconds=ttl,
            window_seconds=window,
        )
    if credentials is None:
        import boto3

        session = boto3.Session()

        def credentials() -> ReadOnlyCredentials:
            found = session.get_credentials()
            if found is None:
                raise RuntimeError("no AWS credentials to presign S3 URLs with")
            return found.get_frozen_credentials()

    return S3RenditionSigner(
        settings.bucket_name,
        region or os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "us-east-1",
        credentials,
        endpoint_url=endpoint_url or os.environ.get("AWS_ENDPOINT_URL_S3") or os.environ.get("AWS_ENDPOINT_URL"),
        ttl_seconds=ttl,
        window_seconds=window,
    )


def signer_from_environment(**overrides: Any) -> RenditionSigner:
    """``signer_from_settings(DeliverySettings(), **overrides)``; build it once per container."""
    return signer_from_settings(DeliverySettings(), **overrides)
