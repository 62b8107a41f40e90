"""The user-facing client API, in the shape Flower's ``NumPyClient`` users know.

Subclass :class:`NumPyClient` and override :meth:`~NumPyClient.fit` (and :meth:`~NumPyClient.evaluate`
if the server sends EVALUATE tasks). Parameters are an ordered ``dict`` of named float32 numpy arrays
whose names and shapes are the server's tensor names (``fc1.weight`` ``[200, 784]``, ...). Return a
:class:`FitRes` / :class:`EvaluateRes`; Flower-style ``(parameters, num_examples, metrics)`` tuples
are accepted too.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Dict, List, Mapping, Sequence, Tuple, Union

import numpy as np

from .errors import ErrorCode, FedError
from .wire import ConfigValue

#: Named model tensors, in the server's order.
Parameters = Dict[str, np.ndarray]
#: What a client may return as parameters: named arrays, or a list in the server's tensor order.
ParametersLike = Union[Mapping[str, np.ndarray], Sequence[np.ndarray]]
#: Settings for one task: the experiment from WELCOME, the task's config, plus ``round``, ``task_id``, ``cid``.
Config = Dict[str, ConfigValue]
#: Numbers a client reports (sent as float64 metrics).
Metrics = Dict[str, float]


@dataclass
class FitRes:
    """What :meth:`NumPyClient.fit` returns: the locally trained parameters (full values, not a delta;
    the runtime computes and encodes the delta), the number of training examples (> 0) and metrics
    (``loss`` is the one the server averages)."""

    parameters: ParametersLike
    num_examples: int
    metrics: Metrics = field(default_factory=dict)


@dataclass
class EvaluateRes:
    """What :meth:`NumPyClient.evaluate` returns: loss, number of examples, metrics (``accuracy``...)."""

    loss: float
    num_examples: int
    metrics: Metrics = field(default_factory=dict)


class NumPyClient:
    """One virtual client's training code. The runtime creates one instance per hosted virtual client
    (through the factory given to :func:`fedswift.start_client`) and calls it from one worker thread."""

    def get_parameters(self, config: Config) -> Parameters:
        """The client's current parameters (optional: the server owns the initial model)."""
        raise NotImplementedError("get_parameters is optional; the server sends the model")

    def fit(self, parameters: Parameters, config: Config) -> FitRes:
        """Trains from ``parameters`` (the round's global model, a private copy) with ``config``
        (``epochs``, ``batch``, ``lr``, ``momentum``, ``weight_decay``, ``mu`` and the experiment's
        ``dataset``, ``partition``, ``clients``, ``seed``, ``model``, ...)."""
        raise NotImplementedError("override fit(parameters, config)")

    def evaluate(self, parameters: Parameters, config: Config) -> EvaluateRes:
        """Evaluates ``parameters`` on local data."""
        raise NotImplementedError("override evaluate(parameters, config)")


class EchoClient(NumPyClient):
    """The ``echo`` trainer of exact tests and conformance runs: returns the model + 1 with one example,
    like ``fedswift client --trainer echo``."""

    def get_parameters(self, config: Config) -> Parameters:
        return {}

    def fit(self, parameters: Parameters, config: Config) -> FitRes:
        return FitRes({name: (value + np.float32(1)).astype(np.float32) for name, value in parameters.items()}, 1,
                      {"loss": 0.0})

    def evaluate(self, parameters: Parameters, config: Config) -> EvaluateRes:
        return EvaluateRes(0.0, 1, {"accuracy": 0.0})


def as_fit_res(value: Union[FitRes, Tuple[ParametersLike, int, Mapping[str, float]]]) -> FitRes:
    """A :class:`FitRes` from a FitRes or a Flower-style ``(parameters, num_examples, metrics)`` tuple."""
    if isinstance(value, FitRes):
        return value
    if isinstance(value, tuple) and len(value) == 3:
        return FitRes(value[0], int(value[1]), dict(value[2] or {}))
    raise FedError(ErrorCode.INVALID_ARGUMENT, f"fit returned {type(value).__name__}; return FitRes(parameters, num_examples, metrics)")


def as_evaluate_res(value: Union[EvaluateRes, Tuple[float, int, Mapping[str, float]]]) -> EvaluateRes:
    """An :class:`EvaluateRes` from an EvaluateRes or a Flower-style ``(loss, num_examples, metrics)`` tuple."""
    if isinstance(value, EvaluateRes):
        return value
    if isinstance(value, tuple) and len(value) == 3:
        return EvaluateRes(float(value[0]), int(value[1]), dict(value[2] or {}))
    raise FedError(ErrorCode.INVALID_ARGUMENT, f"evaluate returned {type(value).__name__}; return EvaluateRes(loss, num_examples, metrics)")


def as_parameters(value: ParametersLike, layout: Mapping[str, Sequence[int]]) -> Parameters:
    """Named float32 arrays in ``layout`` order; a list is matched to ``layout`` by position.

    Raises ``FedError(MODEL_MISMATCH)`` when names or shapes differ from the server's model.
    """
    names: List[str] = list(layout)
    if isinstance(value, Mapping):
        missing = [n for n in names if n not in value]
        extra = [n for n in value if n not in layout]
        if missing or extra:
            raise FedError(ErrorCode.MODEL_MISMATCH, f"parameters miss {missing[:5]} and have extra {extra[:5]} compared with the server's model")
        arrays = [value[n] for n in names]
    else:
        arrays = list(value)
        if len(arrays) != len(names):
            raise FedError(ErrorCode.MODEL_MISMATCH, f"{len(arrays)} arrays returned, the server's model has {len(names)} tensors")
    out: Parameters = {}
    for name, array in zip(names, arrays):
        a = np.asarray(array, dtype=np.float32)
        if a.shape != tuple(layout[name]):
            if a.size != int(np.prod(layout[name], dtype=np.int64)):
                raise FedError(ErrorCode.MODEL_MISMATCH, f"'{name}' has shape {list(a.shape)}, the server's is {list(layout[name])}")
            a = a.reshape(tuple(layout[name]))
        out[name] = a
    return out


def metrics_of(values: Mapping[str, object]) -> Metrics:
    """The numeric entries of ``values`` as floats (strings and other values are dropped)."""
    out: Metrics = {}
    for key, v in values.items():
        if isinstance(v, (bool, int, float, np.integer, np.floating)):
            out[str(key)] = float(v)
    return out
