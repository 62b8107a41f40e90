"""An in-test sync parent: a pyzmq ROUTER + XPUB on 127.0.0.1 that a test drives message by message."""
from __future__ import annotations

import threading
import time
from typing import Iterable, Optional, Set, Tuple

import numpy as np
import zmq

from fedswift import Codec, Envelope, Message, MessageKind, TensorEncoding, decode_message, encode_message, encode_model
from fedswift.runtime import ClientNode
from fedswift.settings import ClientSettings, Outcome


class FakeServer:
    """Binds on random loopback ports; every call has a timeout so a broken client fails the test, not hangs it."""

    def __init__(self) -> None:
        self.ctx = zmq.Context()
        self.router = self.ctx.socket(zmq.ROUTER)
        self.xpub = self.ctx.socket(zmq.XPUB)
        for s in (self.router, self.xpub):
            s.setsockopt(zmq.LINGER, 0)
        self.xpub.setsockopt(zmq.XPUB_VERBOSE, 1)
        self.control = f"tcp://127.0.0.1:{self.router.bind_to_random_port('tcp://127.0.0.1')}"
        self.broadcast = f"tcp://127.0.0.1:{self.xpub.bind_to_random_port('tcp://127.0.0.1')}"
        self.session = "s-test-1"
        self.subscribed: Set[bytes] = set()
        self.identity = b""

    def close(self) -> None:
        self.router.close(0)
        self.xpub.close(0)
        self.ctx.term()

    def recv(self, kinds: Iterable[MessageKind], timeout: float = 5.0) -> Message:
        """The next message of one of ``kinds`` (others skipped); AssertionError after ``timeout``."""
        wanted = set(kinds)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self._poll_subscriptions()
            if self.router.poll(50):
                identity, *parts = self.router.recv_multipart()
                message = decode_message(parts)
                self.identity = identity
                if message.envelope.kind in wanted:
                    return message
        raise AssertionError(f"no {sorted(k.name for k in wanted)} within {timeout} s")

    def _poll_subscriptions(self) -> None:
        while self.xpub.poll(0):
            notice = self.xpub.recv()
            (self.subscribed.add if notice[0] == 1 else self.subscribed.discard)(notice[1:])

    def wait_subscribed(self, node_id: str, timeout: float = 5.0) -> None:
        deadline = time.monotonic() + timeout
        while node_id.encode() not in self.subscribed:
            assert time.monotonic() < deadline, f"{node_id} never subscribed"
            self._poll_subscriptions()
            time.sleep(0.02)

    def send(self, envelope: Envelope, frames: Optional[list] = None) -> None:
        self.router.send_multipart([self.identity] + encode_message(Message(envelope, frames or [])))

    def publish(self, node_id: str, message: Message) -> None:
        self.xpub.send_multipart([node_id.encode()] + encode_message(message))

    def join(self, codec: str = "raw", heartbeat: float = 0.5, **config) -> Message:
        hello = self.recv([MessageKind.HELLO])
        self.send(Envelope(MessageKind.WELCOME, sender="server", session=self.session, codecs=[Codec.RAW],
                           config={"codec": codec, "heartbeat": heartbeat, "dataset": "fmnist", "seed": "3", **config}))
        return hello

    def model(self, round: int, values: np.ndarray, task_id: int = 1) -> Message:
        headers, frames = encode_model({"fc.weight": values.astype(np.float32)}, TensorEncoding(Codec.RAW))
        return Message(Envelope(MessageKind.MODEL, sender="server", session=self.session, round=round, task_id=task_id,
                                tensors=headers), frames)

    def fit(self, round: int, clients: Iterable[int], task_id: int = 1, codec: str = "raw") -> None:
        self.send(Envelope(MessageKind.FIT, sender="server", session=self.session, round=round, task_id=task_id,
                           client_ids=list(clients), config={"codec": codec, "epochs": 1, "lr": 0.1}))


class RunningClient:
    """A ClientNode on a background thread; ``finish`` stops it and returns its outcome (or raises its error)."""

    def __init__(self, node: ClientNode) -> None:
        self.node = node
        self.outcome: Optional[Outcome] = None
        self.error: Optional[BaseException] = None
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        try:
            self.outcome = self.node.run()
        except BaseException as error:  # reported by finish()
            self.error = error

    def finish(self, stop: bool = True, timeout: float = 5.0) -> Tuple[Optional[Outcome], Optional[BaseException]]:
        if stop:
            self.node.stop()
        self.thread.join(timeout)
        assert not self.thread.is_alive(), "client did not stop"
        return self.outcome, self.error


def start(server: FakeServer, client, clients=(0,), node_id: str = "py", **kwargs) -> RunningClient:
    settings = ClientSettings(control=server.control, broadcast=server.broadcast, clients=list(clients), node_id=node_id,
                              hello_interval=0.2, **kwargs)
    return RunningClient(ClientNode(client, settings))
