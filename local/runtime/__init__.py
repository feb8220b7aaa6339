"""The runtime room: what Lambda does around a handler. Loading a function's handler with its
layers on the path (`handlers`), the environment the functions see (`environment`), and the event
source mappings that feed them (`poller`: SQS batches, partial failures, redrive)."""
