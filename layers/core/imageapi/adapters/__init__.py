"""Adapters: DynamoDB, S3, the guarded URL fetch and the Pillow pixels, each implementing a port
of ``imageapi.domain.ports``. Imports the domain, never the HTTP edge. Nothing is imported here so
that a function without pixels never loads Pillow."""
