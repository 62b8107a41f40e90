"""``start_client`` and the command-line flags every Python client shares with ``fedswift client``."""
from __future__ import annotations

import argparse
import signal
import threading
from typing import Any, Iterator, List, Optional, Sequence, Union

import zmq

from .client import NumPyClient
from .errors import ErrorCode, FedError
from .runtime import ClientFactory, ClientNode
from .settings import ClientSettings, Outcome, default_node_id


def start_client(client: Union[ClientFactory, NumPyClient], *, control: str = "tcp://127.0.0.1:5555",
                 broadcast: str = "tcp://127.0.0.1:5556", clients: Sequence[int] = (0,), node_id: Optional[str] = None,
                 trainer: str = "python", pull_after: float = 2.0, link_floor: float = 1e6,
                 upload_deltas: bool = True, context: Optional[zmq.Context] = None, handle_signals: bool = True) -> Outcome:
    """Joins the sync server at ``control``/``broadcast`` hosting the virtual ``clients`` and serves FIT
    tasks until the server finishes the run (BYE) or SIGINT/SIGTERM arrives (then it sends BYE).

    ``client`` is a factory ``client_for(cid) -> NumPyClient`` (called once per virtual client, on first
    use) or one :class:`NumPyClient` shared by every hosted id. Signal handlers are installed only when
    called from the main thread, and restored on return. Raises ``FedError`` if the server refuses
    this node (wrong protocol version, codec or client ids). A missed broadcast is PULLed after
    ``pull_after`` seconds plus the model's transfer time at ``link_floor`` bytes/s.
    """
    settings = ClientSettings(control=control, broadcast=broadcast, clients=list(clients),
                              node_id=node_id or default_node_id(), trainer=trainer, pull_after=pull_after,
                              link_floor=link_floor, upload_deltas=upload_deltas)
    node = ClientNode(client, settings, context=context)
    previous: List[Any] = []
    if handle_signals and threading.current_thread() is threading.main_thread():
        for number in (signal.SIGINT, signal.SIGTERM):
            previous.append((number, signal.signal(number, lambda _n, _f: node.stop())))
    try:
        return node.run()
    finally:
        for number, handler in previous:
            signal.signal(number, handler)


def parse_client_ids(text: str) -> List[int]:
    """``0-4,7`` -> ``[0, 1, 2, 3, 4, 7]`` (ids and inclusive ranges, as ``fedswift client --clients``)."""
    def items() -> Iterator[int]:
        for part in text.split(","):
            part = part.strip()
            if not part:
                continue
            lo, sep, hi = part.partition("-")
            if not lo.isdigit() or (sep and not hi.isdigit()):
                raise FedError(ErrorCode.INVALID_ARGUMENT, f"'{part}' is not an id or a range like 0-4")
            first, last = int(lo), int(hi) if sep else int(lo)
            if last < first:
                raise FedError(ErrorCode.INVALID_ARGUMENT, f"range '{part}' is empty")
            yield from range(first, last + 1)

    ids = sorted(set(items()))
    if not ids:
        raise FedError(ErrorCode.INVALID_ARGUMENT, "--clients names no client")
    return ids


def add_client_arguments(parser: argparse.ArgumentParser) -> None:
    """The flags of ``fedswift client``: ``--control``, ``--broadcast``, ``--clients``, ``--id``,
    ``--trainer``, ``--data-dir``, ``--pull-after``, ``--link-floor`` (MB/s)."""
    parser.add_argument("--control", default="tcp://127.0.0.1:5555", help="the server's control endpoint (ROUTER)")
    parser.add_argument("--broadcast", default="tcp://127.0.0.1:5556", help="the server's broadcast endpoint (XPUB)")
    parser.add_argument("--clients", required=True, type=parse_client_ids, help="virtual client ids hosted here, e.g. 0-4,7")
    parser.add_argument("--id", default=None, help="node id (default: host name and process id)")
    parser.add_argument("--trainer", default="sgd", choices=["sgd", "echo"],
                        help="sgd (train) or echo (return the model + 1, for exact tests)")
    parser.add_argument("--data-dir", default=None, help="dataset directory, if not where the server's is")
    parser.add_argument("--pull-after", type=float, default=2.0, help="seconds to wait for a broadcast model before PULLing it")
    parser.add_argument("--link-floor", type=float, default=1.0,
                        help="slowest link in MB/s a model must cross: the PULL wait grows by the model's transfer time at it (0: 100 MB/s)")
