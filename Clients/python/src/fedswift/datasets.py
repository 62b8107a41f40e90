"""Fashion-MNIST from IDX files and the server's ``iid`` partition, for the examples.

:func:`load_fashion_mnist` reads the MNIST-format IDX files (Debian's ``dataset-fashion-mnist`` puts
them in ``/usr/share/datasets/fashion-mnist``) and standardizes pixels like FedSwift:
``(x / 255 - 0.2860) / 0.3530``. :func:`iid_partition` is a port of Swift's ``Partitioner.iid``
(SplitMix64 seeded from ``(seed, 0x50415254, clients)``, Lemire's bounded integers, Fisher-Yates), so a
Python client trains on exactly the samples a Swift client would. Other partition specs
(``dirichlet``, ``shards``, ...) are not ported: :func:`client_indices` says so.
"""
from __future__ import annotations

import gzip
import os
from typing import List, Tuple

import numpy as np

from .errors import ErrorCode, FedError

#: Where Debian's dataset-fashion-mnist package installs the IDX files.
DEFAULT_DIRECTORY = "/usr/share/datasets/fashion-mnist"
MEAN, STD = 0.2860, 0.3530
_MASK = (1 << 64) - 1
_GOLDEN = 0x9E3779B97F4A7C15


def read_idx(path: str) -> np.ndarray:
    """An IDX file (optionally ``.gz``) as a numpy array of its shape (uint8 data)."""
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        data = f.read()
    if len(data) < 4 or data[0] != 0 or data[1] != 0 or data[2] != 0x08:
        raise FedError(ErrorCode.IO, f"{path} is not an unsigned-byte IDX file")
    dims = data[3]
    shape = tuple(int.from_bytes(data[4 + 4 * i:8 + 4 * i], "big") for i in range(dims))
    body = np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * dims)
    if body.size != int(np.prod(shape)):
        raise FedError(ErrorCode.IO, f"{path}: header says {shape}, file holds {body.size} bytes")
    return body.reshape(shape)


def _find(directory: str, stem: str) -> str:
    for name in (stem, stem + ".gz", stem.replace("-idx", ".idx"), stem.replace("-idx", ".idx") + ".gz"):
        path = os.path.join(directory, name)
        if os.path.exists(path):
            return path
    raise FedError(ErrorCode.IO, f"no {stem}[.gz] in {directory}; apt-get install dataset-fashion-mnist or pass --data-dir")


def load_fashion_mnist(directory: str = DEFAULT_DIRECTORY, split: str = "train") -> Tuple[np.ndarray, np.ndarray]:
    """``(features [N, 784] float32 standardized, labels [N] int64)`` of the ``train`` or ``test`` split."""
    prefix = "train" if split == "train" else "t10k"
    images = read_idx(_find(directory, f"{prefix}-images-idx3-ubyte"))
    labels = read_idx(_find(directory, f"{prefix}-labels-idx1-ubyte"))
    features = (images.reshape(len(images), -1).astype(np.float32) / np.float32(255) - np.float32(MEAN)) / np.float32(STD)
    return features.astype(np.float32), labels.astype(np.int64)


def _mix(z: int) -> int:
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & _MASK
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _MASK
    return z ^ (z >> 31)


class SplitMix64:
    """Swift's ``SplitMix64`` (FedCore/Random.swift), including its multi-seed initializer."""

    def __init__(self, *seeds: int) -> None:
        s = 0x6A09E667F3BCC909
        for value in seeds:
            s = _mix((s ^ (value & _MASK)) + _GOLDEN & _MASK)
        self.state = s

    def next(self) -> int:
        """Next 64 random bits."""
        self.state = (self.state + _GOLDEN) & _MASK
        return _mix(self.state)

    def below(self, bound: int) -> int:
        """A uniform integer in ``[0, bound)`` (Lemire's multiply-and-reject, as ``RandomDistributions.index``)."""
        product = self.next() * bound
        if product & _MASK < bound:
            threshold = ((1 << 64) - bound) % bound
            while product & _MASK < threshold:
                product = self.next() * bound
        return product >> 64


def iid_partition(count: int, clients: int, seed: int) -> List[np.ndarray]:
    """Swift's ``Partitioner.partition(.iid)``: a seeded permutation cut into shares differing by at most one."""
    rng = SplitMix64(seed, 0x50415254, clients)
    order = list(range(count))
    for i in range(count - 1, 0, -1):
        j = rng.below(i + 1)
        order[i], order[j] = order[j], order[i]
    base, extra = divmod(count, clients)
    out, start = [], 0
    for c in range(clients):
        size = base + (1 if c < extra else 0)
        out.append(np.array(order[start:start + size], dtype=np.int64))
        start += size
    return out


def client_indices(partition: str, count: int, clients: int, seed: int, cid: int) -> np.ndarray:
    """The training-sample indices of virtual client ``cid`` under the server's partition (``iid`` only)."""
    if partition != "iid":
        raise FedError(ErrorCode.INVALID_ARGUMENT, f"partition '{partition}' is not ported to Python; run the server with "
                       "--partition iid, or pass --local-split to use a local split")
    return iid_partition(count, clients, seed)[cid]


class FederatedFashionMNIST:
    """The training set loaded once per process, sliced per virtual client from the WELCOME config
    (``dataset``, ``partition``, ``clients``, ``seed``). With ``local_split`` any partition spec is
    replaced by the iid split (the client then trains on other samples than a Swift client would)."""

    def __init__(self, directory: str = DEFAULT_DIRECTORY, local_split: bool = False) -> None:
        self.directory = directory
        self.local_split = local_split
        self._train: "Tuple[np.ndarray, np.ndarray] | None" = None

    def client(self, config: "dict", cid: int) -> Tuple[np.ndarray, np.ndarray]:
        """``(features, labels)`` of virtual client ``cid``."""
        dataset = str(config.get("dataset", "fmnist"))
        if dataset != "fmnist":
            raise FedError(ErrorCode.INVALID_ARGUMENT, f"this example trains on fmnist, the server announced '{dataset}'")
        if self._train is None:
            self._train = load_fashion_mnist(self.directory, "train")
        features, labels = self._train
        partition = "iid" if self.local_split else str(config.get("partition", "iid"))
        index = client_indices(partition, len(labels), int(config.get("clients", 1)), int(config.get("seed", 0)), cid)
        return features[index], labels[index]
