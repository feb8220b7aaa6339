"""Rendition URL signers (SPEC §3.10): CloudFront signed URLs or presigned S3 GETs, both stable
within a time window (the port and the window rule are in ``imageapi.domain.delivery``)."""

from imageapi.adapters.signing.cloudfront import CloudFrontRenditionSigner, secret_key_loader
from imageapi.adapters.signing.config import DeliverySettings, signer_from_environment, signer_from_settings
from imageapi.adapters.signing.s3 import S3RenditionSigner

__all__ = [
    "CloudFrontRenditionSigner",
    "DeliverySettings",
    "S3RenditionSigner",
    "secret_key_loader",
    "signer_from_environment",
    "signer_from_settings",
]
