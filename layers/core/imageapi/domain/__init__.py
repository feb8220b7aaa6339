"""The domain: models, errors, ids, keys, the ports it needs, and the use cases. Imports neither
``imageapi.http`` nor ``imageapi.adapters``."""
