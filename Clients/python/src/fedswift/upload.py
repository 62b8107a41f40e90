"""Turning a trained model into a FIT_RESULT message, as Swift's ``UploadEncoder`` does.

Uploads are deltas (trained - received) encoded with the negotiated codec; q8/q4 seeds are
``mix(task_id * 0x9E3779B9 + client_id)`` (wrapping uint64), and top-k uploads carry per-client error
feedback (:class:`fedswift.TopKResidual`).
"""
from __future__ import annotations

from collections import OrderedDict
from typing import Dict, Mapping, Optional, Sequence, Tuple

import numpy as np

from . import splitmix
from .model import decode_model, encode_model
from .tensor import TensorEncoding
from .topk import TopKResidual
from .wire import Codec, Envelope, Message, MessageKind

_MASK = 0xFFFFFFFFFFFFFFFF


def layout_of(message: Message) -> "OrderedDict[str, Tuple[int, ...]]":
    """The model layout (name -> shape) a message's tensor headers describe, slices merged, in frame order."""
    layout: "OrderedDict[str, Tuple[int, ...]]" = OrderedDict()
    for header in message.envelope.tensors:
        layout.setdefault(header.name, tuple(header.shape))
    return layout


def upload_seed(task_id: int, client_id: int) -> int:
    """The q8/q4 seed of one virtual client's upload for one task (Swift: ``mix(task &* 0x9E3779B9 &+ client)``)."""
    return splitmix.mix_int((task_id * 0x9E3779B9 + client_id) & _MASK)


def encode_upload(*, sender: str, session: str, task: Envelope, client_id: int, received: Mapping[str, np.ndarray],
                  trained: Mapping[str, np.ndarray], num_examples: int, metrics: Dict[str, float],
                  encoding: TensorEncoding, residual: Optional[TopKResidual] = None, delta: bool = True,
                  max_frame_elements: int = 1 << 28) -> Message:
    """The FIT_RESULT for ``client_id``: ``trained - received`` (or ``trained`` when not ``delta``),
    encoded with ``encoding``. With top-k and a ``residual``, the residual is added before sparsifying
    and what was not sent is kept for the next upload."""
    values: Dict[str, np.ndarray] = OrderedDict()
    for name, array in trained.items():
        a = np.asarray(array, dtype=np.float32)
        values[name] = (a - np.asarray(received[name], dtype=np.float32)) if delta else a
    per_upload = TensorEncoding(encoding.codec, seed=upload_seed(task.task_id, client_id), fraction=encoding.fraction,
                                checksum=encoding.checksum, delta=delta)
    feedback = residual is not None and encoding.codec == Codec.TOPK and delta
    if feedback:
        assert residual is not None
        values = OrderedDict((name, residual.compensate(name, v)) for name, v in values.items())
    headers, frames = encode_model(values, per_upload, max_frame_elements)
    if feedback:
        assert residual is not None
        layout: Dict[str, Sequence[int]] = {name: v.shape for name, v in values.items()}
        sent = decode_model(Message(Envelope(MessageKind.FIT_RESULT, tensors=headers), list(frames)), layout)
        for name, v in values.items():
            residual.record(name, v, sent[name])
    envelope = Envelope(MessageKind.FIT_RESULT, sender=sender, session=session, round=task.round, task_id=task.task_id,
                        client_ids=[client_id], num_examples=num_examples, metrics=dict(metrics), tensors=headers)
    return Message(envelope, list(frames))
