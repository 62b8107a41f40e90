"""Messages cross real ZeroMQ sockets (inproc) intact, with and without a PUB topic frame."""
from __future__ import annotations

import time

import numpy as np
import zmq

from fedswift import Codec, Envelope, Message, MessageKind, TensorEncoding, decode_tensor, encode_tensor
from fedswift.transport import recv_message, send_message


def model_message() -> Message:
    values = np.linspace(-1, 1, 64, dtype=np.float32).reshape(8, 8)
    header, frame = encode_tensor("fc.weight", values.shape, values, TensorEncoding(Codec.SHUFFLE_LZ4, checksum=True))
    return Message(Envelope(MessageKind.MODEL, sender="server", session="s-1", round=5, tensors=[header]), [frame])


def test_dealer_router_round_trip() -> None:
    ctx = zmq.Context()
    try:
        router = ctx.socket(zmq.ROUTER)
        dealer = ctx.socket(zmq.DEALER)
        for s in (router, dealer):
            s.setsockopt(zmq.LINGER, 0)
            s.setsockopt(zmq.RCVTIMEO, 2000)
        router.bind("inproc://control")
        dealer.connect("inproc://control")
        send_message(dealer, model_message())
        identity, *parts = router.recv_multipart()
        assert identity
        router.send_multipart([identity] + parts)
        received = recv_message(dealer)
        assert received.envelope.round == 5 and received.envelope.sender == "server"
        np.testing.assert_array_equal(decode_tensor(received.envelope.tensors[0], received.frames[0]),
                                      np.linspace(-1, 1, 64, dtype=np.float32).reshape(8, 8))
        dealer.close()
        router.close()
    finally:
        ctx.term()


def test_pub_topic_frame_is_the_child_id() -> None:
    ctx = zmq.Context()
    try:
        pub = ctx.socket(zmq.XPUB)
        sub = ctx.socket(zmq.SUB)
        for s in (pub, sub):
            s.setsockopt(zmq.LINGER, 0)
            s.setsockopt(zmq.RCVTIMEO, 2000)
        pub.bind("inproc://broadcast")
        sub.connect("inproc://broadcast")
        sub.setsockopt(zmq.SUBSCRIBE, b"client-a")
        assert pub.recv() == b"\x01client-a"  # XPUB shows the subscription: no slow-joiner loss
        send_message(pub, model_message(), topic=b"client-b")
        send_message(pub, model_message(), topic=b"client-a")
        time.sleep(0.01)
        received = recv_message(sub, has_topic=True)
        assert received.envelope.kind == MessageKind.MODEL
        sub.close()
        pub.close()
    finally:
        ctx.term()
