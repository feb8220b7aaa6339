"""Shared domain package of the Serverless Image API.

Importable without AWS. Modules that touch pixels (``imaging``, ``ingest``) import Pillow;
nothing else does, so functions that never process pixels keep a lean cold start.
"""

__version__ = "0.1.0"
