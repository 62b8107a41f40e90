"""Settings and outcomes of the client runtime."""
from __future__ import annotations

import enum
import os
import socket
from dataclasses import dataclass, field
from typing import Sequence

from .limits import WireLimits


class Outcome(enum.Enum):
    """Why :meth:`ClientNode.run` returned."""

    SERVER_FINISHED = "server finished"
    SHUTDOWN = "shutdown"


def default_node_id() -> str:
    """Host name and process id, as ``fedswift client`` names itself."""
    return f"{socket.gethostname()}-{os.getpid()}"


@dataclass
class ClientSettings:
    """Where the server is, which virtual clients this process hosts, and the runtime's timings."""

    control: str = "tcp://127.0.0.1:5555"
    broadcast: str = "tcp://127.0.0.1:5556"
    clients: Sequence[int] = (0,)
    node_id: str = field(default_factory=default_node_id)
    #: Announced in HELLO's config (``trainer``); informational.
    trainer: str = "python"
    #: Seconds without the round's MODEL after a FIT before PULLing it on control, plus the model's
    #: transfer time at ``link_floor`` (WELCOME's ``model_bytes``), as the Swift client waits.
    pull_after: float = 2.0
    #: Slowest link in bytes/s a broadcast model must cross (0: 100 MB/s, the old fixed wait).
    link_floor: float = 1e6
    #: Seconds between HELLOs while not joined.
    hello_interval: float = 1.0
    #: Heartbeat interval until WELCOME announces the server's.
    heartbeat: float = 1.0
    #: Upload ``trained - received`` (True, the default) or the full trained model.
    upload_deltas: bool = True
    limits: WireLimits = field(default_factory=WireLimits)


def pull_delay(base: float, model_bytes: int, link_floor: float) -> float:
    """Seconds to wait for a broadcast model before PULLing it: ``base`` plus its transfer time at
    ``link_floor`` bytes/s (100 MB/s when the floor is 0), so a model still arriving is not fetched twice."""
    return base + max(model_bytes, 0) / (link_floor if link_floor > 0 else 100e6)
