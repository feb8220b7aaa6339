"""The webhook routes (SPEC §3.11, issue 19): an owner's endpoints, their secrets (shown once, on
create and rotate), test events, the delivery log, redelivery and recovery."""

from typing import Annotated

from imageapi.context_events import webhook_service
from imageapi.domain.webhooks.models import (
    DeliveryOut,
    DeliveryPage,
    Recovered,
    RecoverRequest,
    WebhookIn,
    WebhookList,
    WebhookOut,
    WebhookPatch,
    WebhookWithSecret,
)
from imageapi.http.api import (
    SECURITY_HEADERS,
    Query,
    Response,
    build_resolver,
    current_owner,
    json_response,
    lambda_entry,
)

app = build_resolver()


@app.post("/webhooks", summary="Register a webhook endpoint", responses={201: {"description": "Created"}})
def create_webhook(request: WebhookIn) -> Response[WebhookWithSecret]:
    created = webhook_service().create(current_owner(app), request)
    return json_response(201, created, headers={"Location": f"/webhooks/{created.id}"})


@app.get("/webhooks", summary="List webhook endpoints")
def list_webhooks() -> WebhookList:
    return webhook_service().list(current_owner(app))


@app.get("/webhooks/<webhook_id>", summary="Get a webhook endpoint")
def get_webhook(webhook_id: str) -> WebhookOut:
    return webhook_service().get(current_owner(app), webhook_id)


@app.patch("/webhooks/<webhook_id>", summary="Change a webhook endpoint (url, events, description, enabled)")
def update_webhook(webhook_id: str, patch: WebhookPatch) -> WebhookOut:
    return webhook_service().update(current_owner(app), webhook_id, patch)


@app.delete("/webhooks/<webhook_id>", summary="Delete a webhook endpoint", responses={204: {"description": "Deleted"}})
def delete_webhook(webhook_id: str) -> Response[None]:
    webhook_service().delete(current_owner(app), webhook_id)
    return Response(status_code=204, headers=SECURITY_HEADERS)


@app.post("/webhooks/<webhook_id>/rotate-secret", summary="Rotate the signing secret (the old one signs 24 h more)")
def rotate_secret(webhook_id: str) -> WebhookWithSecret:
    return webhook_service().rotate(current_owner(app), webhook_id)


@app.post(
    "/webhooks/<webhook_id>/test",
    summary="Send a webhook.test event",
    responses={202: {"description": "Queued"}},
)
def send_test(webhook_id: str) -> Response[DeliveryOut]:
    return json_response(202, webhook_service().send_test(current_owner(app), webhook_id))


@app.get("/webhooks/<webhook_id>/deliveries", summary="The delivery log, newest first")
def list_deliveries(
    webhook_id: str,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    cursor: Annotated[str | None, Query(max_length=1024)] = None,
) -> DeliveryPage:
    return webhook_service().list_deliveries(current_owner(app), webhook_id, limit=limit, cursor=cursor)


@app.post(
    "/webhooks/<webhook_id>/deliveries/<delivery_id>/redeliver",
    summary="Send a delivery again (same webhook-id, a fresh retry schedule)",
    responses={202: {"description": "Queued"}},
)
def redeliver(webhook_id: str, delivery_id: str) -> Response[DeliveryOut]:
    return json_response(202, webhook_service().redeliver(current_owner(app), webhook_id, delivery_id))


@app.post(
    "/webhooks/<webhook_id>/recover",
    summary="Send again every failed delivery since a time",
    responses={202: {"description": "Queued"}},
)
def recover(webhook_id: str, request: RecoverRequest) -> Response[Recovered]:
    return json_response(202, webhook_service().recover(current_owner(app), webhook_id, request.since))


handler = lambda_entry(app)
