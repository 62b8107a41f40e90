"""Fashion-MNIST for the FedLab benchmark scripts: the IDX reader, FedSwift's preprocessing (x/255, then
(x-0.2860)/0.3530), client batches sliced from shared tensors, and test-set evaluation.

Import it after the scripts have put their thread settings in the environment (it imports torch).
"""
import gzip
import os
import struct

import numpy as np
import torch

MEAN, STD = 0.2860, 0.3530


def read_idx(path):
    """An MNIST-format IDX file (gzip or plain) as a numpy array."""
    with (gzip.open if path.endswith(".gz") else open)(path, "rb") as f:
        data = f.read()
    zero, dtype_code, ndim = struct.unpack(">HBB", data[:4])
    if zero != 0 or dtype_code != 0x08:
        raise ValueError(f"{path}: not an unsigned-byte IDX file")
    shape = struct.unpack(">" + "I" * ndim, data[4:4 + 4 * ndim])
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim).reshape(shape)


def load_fmnist(data_dir):
    """(x_train, y_train, x_test, y_test): standardized float images [N,1,28,28] and int64 labels."""
    def path(stem):
        for name in (stem + ".gz", stem):
            if os.path.exists(os.path.join(data_dir, name)):
                return os.path.join(data_dir, name)
        raise FileNotFoundError(f"{stem}(.gz) not found in {data_dir}")

    def images(stem):
        x = read_idx(path(stem)).astype(np.float32) / 255.0
        return torch.from_numpy((x - MEAN) / STD).unsqueeze(1)

    def labels(stem):
        return torch.from_numpy(read_idx(path(stem)).astype(np.int64))

    return (images("train-images-idx3-ubyte"), labels("train-labels-idx1-ubyte"),
            images("t10k-images-idx3-ubyte"), labels("t10k-labels-idx1-ubyte"))


class IndexedBatches:
    """One client's data as batches sliced from the shared tensors, reshuffled on every iteration
    (DataLoader(shuffle=True) without per-sample dispatch)."""

    def __init__(self, x, y, indices, batch_size, generator):
        self.x, self.y, self.indices, self.batch_size, self.generator = x, y, indices, batch_size, generator

    def __len__(self):
        return (len(self.indices) + self.batch_size - 1) // self.batch_size

    def __iter__(self):
        order = self.indices[torch.randperm(len(self.indices), generator=self.generator)]
        for start in range(0, len(order), self.batch_size):
            idx = order[start:start + self.batch_size]
            yield self.x[idx], self.y[idx]


def evaluate(model, x, y, batch=2000):
    """(accuracy, mean cross-entropy) of `model` on (x, y)."""
    model.eval()
    loss_sum, correct = 0.0, 0
    with torch.no_grad():
        for start in range(0, len(y), batch):
            out = model(x[start:start + batch])
            target = y[start:start + batch]
            loss_sum += torch.nn.functional.cross_entropy(out, target, reduction="sum").item()
            correct += (out.argmax(1) == target).sum().item()
    return correct / max(len(y), 1), loss_sum / max(len(y), 1)
