"""The SSRF-guarded URL fetch: the address and URL guard, and the client that enforces it."""
