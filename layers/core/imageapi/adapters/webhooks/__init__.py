"""Webhook delivery: endpoint secrets sealed with KMS, the SQS delivery queue, and the POST itself
behind the URL-import guard (adapters/fetch)."""
