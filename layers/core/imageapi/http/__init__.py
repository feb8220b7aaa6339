"""The HTTP edge: the Powertools resolver, request parsing, multipart, response shaping and problem
rendering. Turns domain objects into responses; imports the domain, never the adapters."""
