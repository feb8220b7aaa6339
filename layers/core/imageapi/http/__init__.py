"""The HTTP edge: the Powertools resolver, request parsing, multipart, response shaping and problem
rendering. Turns domain objects into responses; imports the domain, never the adapters."""

from imageapi.http.lean_imports import defer_event_handler_package

defer_event_handler_package()  # before anything imports Powertools' event handler (lean_imports)
