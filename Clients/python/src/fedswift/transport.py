"""Sending and receiving messages on pyzmq sockets (the caller owns the socket and its thread)."""
from __future__ import annotations

from typing import Optional

import zmq

from .errors import ErrorCode, FedError
from .limits import WireLimits
from .message import decode_message, encode_message
from .wire import Message


def send_message(socket: zmq.Socket, message: Message, topic: Optional[bytes] = None, flags: int = 0) -> None:
    """Sends ``message`` as one multipart message; ``topic`` is the leading frame on PUB/XPUB sockets
    (the receiving child's node id). Tensor frames are sent without copying."""
    parts = encode_message(message)
    if topic is not None:
        parts = [topic] + parts
    try:
        socket.send_multipart(parts, flags=flags, copy=False)
    except zmq.ZMQError as error:
        raise FedError(ErrorCode.TRANSPORT, f"zmq_send: {error}") from None


def recv_message(socket: zmq.Socket, limits: WireLimits = WireLimits(), has_topic: bool = False,
                 flags: int = 0) -> Message:
    """Receives and validates one message; with ``has_topic`` (SUB sockets) the topic frame is dropped.

    Frames stay zero-copy ``zmq.Frame`` objects; decode tensors with :func:`fedswift.decode_tensor`.
    """
    try:
        parts = socket.recv_multipart(flags=flags, copy=False)
    except zmq.Again:
        raise FedError(ErrorCode.TIMEOUT, "no message before the socket's receive timeout") from None
    except zmq.ZMQError as error:
        raise FedError(ErrorCode.TRANSPORT, f"zmq_recv: {error}") from None
    if has_topic:
        parts = parts[1:]
    return decode_message([p.buffer for p in parts], limits)
