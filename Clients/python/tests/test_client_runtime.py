"""The client runtime's state machine against an in-test server (pyzmq ROUTER/XPUB on 127.0.0.1)."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from typing import Iterator

import numpy as np
import pytest

from fake_server import FakeServer, start
from fedswift import (Codec, EchoClient, Envelope, ErrorCode, FedError, FitRes, Message, MessageKind, NumPyClient, Outcome,
                      WireError, decode_model, tensor_seed)
from fedswift.settings import pull_delay
from fedswift.topk import kept_count
from fedswift.upload import upload_seed



@pytest.fixture
def server() -> Iterator[FakeServer]:
    s = FakeServer()
    yield s
    s.close()


def decoded(message: Message) -> np.ndarray:
    header = message.envelope.tensors[0]
    return decode_model(message, {header.name: header.shape})[header.name]


def test_join_fit_by_broadcast_and_bye(server: FakeServer) -> None:
    client = start(server, lambda cid: EchoClient(), clients=[3, 5])
    hello = server.join()
    assert hello.envelope.client_ids == [3, 5] and hello.envelope.sender == "py"
    assert set(hello.envelope.codecs) == set(Codec)
    server.wait_subscribed("py")
    values = np.arange(10, dtype=np.float32)
    server.fit(1, [3, 5], task_id=7)
    server.publish("py", server.model(1, values, task_id=7))
    results = [server.recv([MessageKind.FIT_RESULT]) for _ in range(2)]
    assert sorted(r.envelope.client_ids[0] for r in results) == [3, 5]
    for r in results:
        e = r.envelope
        assert (e.round, e.task_id, e.session, e.num_examples) == (1, 7, server.session, 1)
        assert e.tensors[0].delta and e.tensors[0].codec == Codec.RAW
        np.testing.assert_array_equal(decoded(r), np.ones(10, dtype=np.float32))
    server.send(Envelope(MessageKind.BYE, sender="server", session=server.session))
    outcome, error = client.finish(stop=False)
    assert outcome == Outcome.SERVER_FINISHED and error is None
    assert client.node.uploaded == 2


def test_missed_broadcast_is_pulled(server: FakeServer) -> None:
    client = start(server, EchoClient(), pull_after=0.3)
    server.join()
    server.fit(4, [0], task_id=2)
    pull = server.recv([MessageKind.PULL])
    assert pull.envelope.round == 4 and pull.envelope.session == server.session
    server.send(server.model(4, np.zeros(6, dtype=np.float32), task_id=2).envelope,
                server.model(4, np.zeros(6, dtype=np.float32), task_id=2).frames)
    result = server.recv([MessageKind.FIT_RESULT])
    np.testing.assert_array_equal(decoded(result), np.ones(6, dtype=np.float32))
    client.finish()


def test_pull_waits_for_the_model_transfer_time_at_the_link_floor(server: FakeServer) -> None:
    assert pull_delay(2.0, 40_000_000, 1e6) == 42.0
    assert pull_delay(2.0, 40_000_000, 0) == pytest.approx(2.4)  # floor 0: 100 MB/s
    assert pull_delay(2.0, -1, 1e6) == 2.0
    client = start(server, EchoClient(), pull_after=0.3, link_floor=1e6)
    server.join(model_bytes=1_000_000)  # 1 MB at 1 MB/s: PULL after 0.3 + 1.0 s, not 0.3 s
    sent = time.monotonic()
    server.fit(4, [0], task_id=2)
    pull = server.recv([MessageKind.PULL])
    waited = time.monotonic() - sent
    assert pull.envelope.round == 4 and 1.2 <= waited < 5.0, waited
    client.finish()


def test_server_restart_means_hello_again(server: FakeServer) -> None:
    client = start(server, EchoClient())
    server.join()
    server.recv([MessageKind.HEARTBEAT])
    server.send(Envelope(MessageKind.ERROR, sender="server", error=WireError(ErrorCode.UNKNOWN_PEER, "who are you")))
    server.session = "s-test-2"
    server.join()
    server.recv([MessageKind.HEARTBEAT])
    assert client.node.session == "s-test-2" and client.node.joins == 2
    server.session = "s-test-3"  # a model from a new session also means: join again
    server.publish("py", server.model(9, np.zeros(4, dtype=np.float32)))
    server.join()
    server.recv([MessageKind.HEARTBEAT])
    assert client.node.session == "s-test-3" and client.node.joins == 3
    client.finish()


def test_stop_sends_bye(server: FakeServer) -> None:
    client = start(server, EchoClient())
    server.join()
    deadline = time.monotonic() + 5.0
    while client.node.session != server.session:  # the WELCOME must be processed before stopping
        assert time.monotonic() < deadline, "client never took the WELCOME"
        time.sleep(0.01)
    outcome, _ = client.finish()
    assert outcome == Outcome.SHUTDOWN
    bye = server.recv([MessageKind.BYE])
    assert bye.envelope.session == server.session


def test_refusal_before_joining_is_fatal(server: FakeServer) -> None:
    client = start(server, EchoClient())
    server.recv([MessageKind.HELLO])
    server.send(Envelope(MessageKind.ERROR, sender="server", error=WireError(ErrorCode.UNKNOWN_CODEC, "no common codec")))
    _, error = client.finish(stop=False)
    assert isinstance(error, FedError) and error.code == ErrorCode.UNKNOWN_CODEC


def test_malformed_messages_are_ignored(server: FakeServer) -> None:
    client = start(server, EchoClient())
    server.join()
    server.router.send_multipart([server.identity, b"GET / HTTP/1.1"])
    server.send(Envelope(MessageKind.FIT, version=2, session=server.session, round=1, client_ids=[0]))
    server.publish("py", server.model(1, np.array([np.nan, 1.0], dtype=np.float32)))
    server.fit(1, [0])
    server.fit(2, [0], task_id=2)
    server.publish("py", server.model(2, np.zeros(3, dtype=np.float32), task_id=2))
    result = server.recv([MessageKind.FIT_RESULT])
    assert result.envelope.round == 2
    client.finish()


def test_topk_keeps_error_feedback_per_client(server: FakeServer) -> None:
    client = start(server, EchoClient())
    server.join()
    n = 40
    k = kept_count(n, 0.1)
    for round, expected in ((1, 1.0), (2, 2.0)):
        server.fit(round, [0], task_id=round, codec="topk:0.1")
        server.publish("py", server.model(round, np.zeros(n, dtype=np.float32), task_id=round))
        sent = decoded(server.recv([MessageKind.FIT_RESULT]))
        picked = np.flatnonzero(sent)
        assert picked.size == k
        # Round 2 adds what round 1 left out (1 each) to the new delta (1 each): the next k entries, 2.0.
        np.testing.assert_array_equal(picked, np.arange((round - 1) * k, round * k))
        np.testing.assert_array_equal(sent[picked], np.full(k, expected, dtype=np.float32))
    client.finish()


def test_q8_seed_and_tuple_results(server: FakeServer) -> None:
    class Flowerish(NumPyClient):
        def fit(self, parameters, config):  # Flower-style tuple, list of arrays
            assert config["round"] == 5 and config["cid"] == 2 and config["dataset"] == "fmnist" and config["lr"] == 0.1
            return [parameters["fc.weight"] * 2], 12, {"loss": 0.5, "note": "ignored"}

    client = start(server, lambda cid: Flowerish(), clients=[2])
    server.join()
    server.fit(5, [2], task_id=11, codec="q8")
    server.publish("py", server.model(5, np.full(8, 0.5, dtype=np.float32), task_id=11))
    result = server.recv([MessageKind.FIT_RESULT])
    header = result.envelope.tensors[0]
    assert header.codec == Codec.Q8 and header.seed == tensor_seed(upload_seed(11, 2), 0)
    assert result.envelope.num_examples == 12 and result.envelope.metrics == {"loss": 0.5}
    np.testing.assert_allclose(decoded(result), np.full(8, 0.5, dtype=np.float32), atol=1e-6)
    client.finish()


def test_fit_res_dataclass_is_the_documented_return() -> None:
    res = EchoClient().fit({"w": np.zeros(2, dtype=np.float32)}, {})
    assert isinstance(res, FitRes) and res.num_examples == 1
    np.testing.assert_array_equal(res.parameters["w"], [1, 1])


def test_sigint_sends_bye_and_exits_cleanly(server: FakeServer) -> None:
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    process = subprocess.Popen([sys.executable, "-m", "fedswift", "--control", server.control, "--broadcast", server.broadcast,
                                "--clients", "0-1", "--trainer", "echo", "--id", "sig"], env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        server.join()
        server.recv([MessageKind.HEARTBEAT])
        process.send_signal(signal.SIGINT)
        bye = server.recv([MessageKind.BYE])
        assert bye.envelope.sender == "sig"
        assert process.wait(timeout=10) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def test_evaluate_task_gets_one_result_per_client(server: FakeServer) -> None:
    client = start(server, lambda cid: EchoClient(), clients=[1, 2])
    server.join()
    model = server.model(3, np.zeros(4, dtype=np.float32), task_id=5)
    server.send(Envelope(MessageKind.EVALUATE, sender="server", session=server.session, round=3, task_id=5, client_ids=[1, 2],
                         tensors=model.envelope.tensors), model.frames)
    results = [server.recv([MessageKind.EVALUATE_RESULT]) for _ in range(2)]
    assert sorted(r.envelope.client_ids[0] for r in results) == [1, 2]
    assert all(r.envelope.metrics == {"loss": 0.0, "accuracy": 0.0} and r.envelope.num_examples == 1 for r in results)
    client.finish()
