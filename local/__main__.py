"""`python -m local` (what `make dev` runs): the whole stack on $PORT / $MOTO_PORT until Ctrl-C."""

from __future__ import annotations

import faulthandler
import logging
import os
import signal
import sys

from .processes import StopRequested, StopSignals
from .stack import LocalStack


def main() -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    port = int(os.environ.get("PORT", "3000"))
    moto_port = int(os.environ.get("MOTO_PORT", "5070"))
    if moto_port == 5060:
        print("MOTO_PORT=5060 is refused by browsers; choose another port", file=sys.stderr)
        return 2

    if hasattr(signal, "SIGUSR1"):  # `kill -USR1 <pid>` prints every thread's stack
        faulthandler.register(signal.SIGUSR1, all_threads=True)
    with StopSignals() as stop:
        try:
            return _run(stop, port, moto_port)
        except StopRequested:  # a signal during the start: start() has already stopped what it began
            print("stopped while starting", flush=True)
            return 0


def _run(stop: StopSignals, port: int, moto_port: int) -> int:
    # The stage's throttling from template.yaml, as API Gateway applies it (LOCAL_THROTTLE=off: none).
    throttle = os.environ.get("LOCAL_THROTTLE", "on").lower() not in ("off", "0", "false", "no")
    # The template's HEIC switch, as a deploy would set it (ENABLE_HEIC=false: HEIC answers 415).
    heic = {"EnableHeic": os.environ["ENABLE_HEIC"].lower()} if "ENABLE_HEIC" in os.environ else None
    stack = LocalStack(port=port, moto_port=moto_port, throttle=throttle, parameter_overrides=heic)
    try:
        stack.start()  # a stop signal in here raises StopRequested; start() then stops what it began
        stop.running()
        limits = stack.throttle.default if stack.throttle else None
        throttled = f"{limits.rate:g} req/s, burst {limits.burst} a route (LOCAL_THROTTLE=off)" if limits else "off"
        print(
            f"""
  local image API    {stack.api_url}/   (web page; API routes from template.yaml)
  local AWS (moto)   {stack.aws_url}   (S3, DynamoDB, SQS; AWS_ENDPOINT_URL)
  token for 'dev'    {stack.api_url}/_local/token?sub=dev
  webhook inbox      {stack.inbox_url}   (register it as a webhook URL; deliveries show there)
  renditions         {stack.cdn_url or "presigned S3 URLs (DeliveryMode=s3)"}   (signed URLs in the API's resources)
  URL import to private networks: {stack.environment.get("IMPORT_ALLOW_PRIVATE_NETWORKS")}
  HEIC input: {stack.environment.get("HEIC_ENABLED")} (ENABLE_HEIC=false turns it off)
  stage throttle: {throttled}

  export TOKEN={stack.token("dev")}

  Ctrl-C to stop.
""",
            flush=True,
        )
        stop.wait()
    finally:
        stop.running()  # a signal from here on is only noted: the stop below runs to its end
        print("stopping the local stack", flush=True)
        stack.stop()
        print("stopped", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
