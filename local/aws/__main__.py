"""`python -m local.aws`: only the AWS endpoint (e.g. for `sam local start-api`)."""

import contextlib
import logging
import os
import threading

from .endpoint import LocalAwsServer
from .resources import create_resources


def main() -> None:
    logging.basicConfig(level=logging.INFO)
    port = int(os.environ.get("MOTO_PORT", "5070"))
    server = LocalAwsServer(port=port)
    threading.Thread(target=create_resources, args=(server.url,), daemon=True).start()
    print(f"local AWS endpoint on {server.url}", flush=True)
    with contextlib.suppress(KeyboardInterrupt):
        server.serve_forever()


if __name__ == "__main__":
    main()
