"""``python -m fedswift --clients 0-1 --trainer echo``: the SDK's echo client (conformance runs, exact tests)."""
from __future__ import annotations

import argparse
import logging
import sys
from typing import List, Optional

from .app import add_client_arguments, start_client
from .client import EchoClient
from .errors import FedError


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m fedswift", description="FedSwift Python echo client (returns model + 1).")
    add_client_arguments(parser)
    args = parser.parse_args(argv)
    if args.trainer != "echo":
        parser.error("this client only has --trainer echo; see examples/python-numpy and examples/python-torch for training")
    logging.basicConfig(level=logging.INFO, stream=sys.stderr, format="%(message)s")
    try:
        outcome = start_client(lambda cid: EchoClient(), control=args.control, broadcast=args.broadcast, clients=args.clients,
                               node_id=args.id, trainer="echo", pull_after=args.pull_after,
                               link_floor=args.link_floor * 1e6)
    except FedError as error:
        print(f"python client: {error}", file=sys.stderr)
        return 1
    print(f"python client stopped: {outcome.value}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
