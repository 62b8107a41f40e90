"""FedSwift wire protocol v1 for Python: envelopes, validation and bit-compatible tensor codecs.

Typical use::

    from fedswift import Envelope, MessageKind, Message, TensorEncoding, Codec
    from fedswift import encode_tensor, encode_message, decode_message, decode_tensor

    header, frame = encode_tensor("fc.weight", (4, 16), values, TensorEncoding(Codec.Q8, seed=7))
    env = Envelope(MessageKind.FIT_RESULT, sender="client-a", tensors=[header])
    parts = encode_message(Message(env, [frame]))      # multipart frames to send
    received = decode_message(parts)                   # validated; raises FedError
    values = decode_tensor(received.envelope.tensors[0], received.frames[0])
"""
from .envelope import decode_envelope, encode_envelope
from .errors import ErrorCode, FedError
from .limits import WireLimits
from .message import decode_message, encode_message, validate
from .model import decode_model, encode_model, tensor_seed
from .tensor import TensorEncoding, crc32, decode_tensor, decode_tensor_flat, encode_tensor
from .topk import TopKResidual
from .wire import (WIRE_PROTOCOL_VERSION, Codec, ConfigValue, DType, Envelope, Message, MessageKind, TensorHeader,
                   WireError)

__all__ = [
    "WIRE_PROTOCOL_VERSION", "Codec", "ConfigValue", "DType", "Envelope", "ErrorCode", "FedError", "Message",
    "MessageKind", "TensorEncoding", "TensorHeader", "TopKResidual", "WireError", "WireLimits", "crc32",
    "decode_envelope", "decode_message", "decode_model", "decode_tensor", "decode_tensor_flat", "encode_envelope",
    "encode_message", "encode_model", "encode_tensor", "tensor_seed", "validate",
]
