"""FedSwift for Python: a Flower-style client SDK (``NumPyClient`` + ``start_client``) on the wire
protocol v1 (envelopes, validation and bit-compatible tensor codecs).

A client::

    import fedswift

    class Client(fedswift.NumPyClient):
        def fit(self, parameters, config):
            ...  # train from parameters (dict name -> float32 array)
            return fedswift.FitRes(parameters, num_examples=600, metrics={"loss": 0.4})

    fedswift.start_client(lambda cid: Client(), control="tcp://127.0.0.1:5555",
                          broadcast="tcp://127.0.0.1:5556", clients=[0, 1])

The wire layer:

Typical use::

    from fedswift import Envelope, MessageKind, Message, TensorEncoding, Codec
    from fedswift import encode_tensor, encode_message, decode_message, decode_tensor

    header, frame = encode_tensor("fc.weight", (4, 16), values, TensorEncoding(Codec.Q8, seed=7))
    env = Envelope(MessageKind.FIT_RESULT, sender="client-a", tensors=[header])
    parts = encode_message(Message(env, [frame]))      # multipart frames to send
    received = decode_message(parts)                   # validated; raises FedError
    values = decode_tensor(received.envelope.tensors[0], received.frames[0])
"""
from .app import add_client_arguments, parse_client_ids, start_client
from .client import Config, EchoClient, EvaluateRes, FitRes, Metrics, NumPyClient, Parameters
from .envelope import decode_envelope, encode_envelope
from .errors import ErrorCode, FedError
from .limits import WireLimits
from .message import decode_message, encode_message, validate
from .model import decode_model, encode_model, tensor_seed
from .tensor import TensorEncoding, crc32, decode_tensor, decode_tensor_flat, encode_tensor
from .runtime import ClientNode
from .settings import ClientSettings, Outcome
from .topk import TopKResidual
from .wire import (WIRE_PROTOCOL_VERSION, Codec, ConfigValue, DType, Envelope, Message, MessageKind, TensorHeader,
                   WireError)

__all__ = [
    "ClientNode", "ClientSettings", "Config", "EchoClient", "EvaluateRes", "FitRes", "Metrics", "NumPyClient", "Outcome",
    "Parameters", "add_client_arguments", "parse_client_ids", "start_client",
    "WIRE_PROTOCOL_VERSION", "Codec", "ConfigValue", "DType", "Envelope", "ErrorCode", "FedError", "Message",
    "MessageKind", "TensorEncoding", "TensorHeader", "TopKResidual", "WireError", "WireLimits", "crc32",
    "decode_envelope", "decode_message", "decode_model", "decode_tensor", "decode_tensor_flat", "encode_envelope",
    "encode_message", "encode_model", "encode_tensor", "tensor_seed", "validate",
]
