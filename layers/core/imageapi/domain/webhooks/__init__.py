"""Webhooks (SPEC §3.11, issue 19): owners' endpoints, Standard Webhooks signatures, and the
delivery of every event with retries that survive a receiver's outage."""
