#!/usr/bin/env python3
"""FedLab 1.3.0 standalone FedAvg on the same configuration as `fedswift simulate`.

Uses the installed `fedlab` package (see setup.sh); nothing of FedLab is copied here. What this script
adds around FedLab's classes, so that the comparison is fair to FedLab:

- sample-weighted FedAvg: `SyncServerHandler.global_update` is overridden to pass the uploaded sample
  counts to FedLab's own `Aggregators.fedavg_aggregate(..., weights)` (FedLab 1.3.0 averages unweighted);
- `SGDSerialClientTrainer` is subclassed so each client uploads [parameters, sample count] and gets a
  fresh plain SGD optimizer (FedLab shares one optimizer across all simulated clients);
- the standalone loop is written out (sample -> downlink -> local_process -> uplink -> load), because
  `StandalonePipeline.main()` has no timing or evaluation hooks; `seconds` excludes evaluation;
- data: Fashion-MNIST read from the IDX files once, x/255 then (x-0.2860)/0.3530, kept as one float
  tensor; each client holds only indices and batches are sliced from the tensor after a per-epoch
  shuffle (the fastest PyTorch input path; a torch DataLoader over per-sample items is several times slower).

Output: JSON Lines in FedSwift's results format, one object per round and a final object with
`"final": true`, the configuration and `peak_rss_mib` (getrusage ru_maxrss).
"""
import argparse
import json
import os
import resource
import sys
import time


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--dataset", default="fmnist", choices=["fmnist"])
    p.add_argument("--data-dir", default="/usr/share/datasets/fashion-mnist")
    p.add_argument("--model", default="mlp", choices=["mlp", "lr"])
    p.add_argument("--clients", type=int, default=100)
    p.add_argument("--partition", default="dirichlet:0.5", help="iid or dirichlet:<alpha>")
    p.add_argument("--sample", type=int, default=10, help="clients per round")
    p.add_argument("--rounds", type=int, default=50)
    p.add_argument("--epochs", type=int, default=2)
    p.add_argument("--batch", type=int, default=32)
    p.add_argument("--lr", type=float, default=0.05)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--threads", type=int, default=1, help="torch intra-op threads (and OMP/OpenBLAS)")
    p.add_argument("--eval-batch", type=int, default=2000)
    p.add_argument("--out", default=None, help="JSON Lines results file (default: stdout)")
    p.add_argument("--partition-report", default=None,
                   help="write client,samples,c0..c9 rows of FedLab's partition to this CSV")
    return p.parse_args(argv)


ARGS = parse_args()
# Thread settings must be in the environment before torch (and its OpenMP/OpenBLAS) is imported.
for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[var] = str(ARGS.threads)

import random  # noqa: E402

import numpy as np  # noqa: E402
import torch  # noqa: E402

from fedlab.contrib.algorithm.basic_client import SGDSerialClientTrainer  # noqa: E402
from fedlab.contrib.algorithm.basic_server import SyncServerHandler  # noqa: E402
from fedlab.models.mlp import MLP  # noqa: E402
from fedlab.utils import Aggregators, SerializationTool  # noqa: E402
from fedlab.utils.dataset.partition import FMNISTPartitioner  # noqa: E402

torch.set_num_threads(ARGS.threads)

from fmnist_data import IndexedBatches, evaluate, load_fmnist  # noqa: E402


class PartitionedFMNIST:
    """The `dataset` object FedLab's serial trainer expects: `get_dataloader(id, batch_size)`."""

    def __init__(self, x, y, client_dict, seed):
        self.x, self.y = x, y
        self.client_indices = {cid: torch.from_numpy(np.asarray(idx, dtype=np.int64))
                               for cid, idx in client_dict.items()}
        self.generator = torch.Generator().manual_seed(seed)

    def num_samples(self, cid):
        return len(self.client_indices[cid])

    def get_dataloader(self, cid, batch_size):
        return IndexedBatches(self.x, self.y, self.client_indices[cid], batch_size, self.generator)


class WeightedSerialTrainer(SGDSerialClientTrainer):
    """FedLab's serial trainer with a fresh SGD optimizer per client and the sample count uploaded."""

    def local_process(self, payload, id_list):
        model_parameters = payload[0]
        for cid in id_list:
            loader = self.dataset.get_dataloader(cid, self.batch_size)
            params, loss = self.train(model_parameters, loader)
            self.cache.append([params, torch.tensor([float(self.dataset.num_samples(cid))]),
                               torch.tensor([loss])])

    def train(self, model_parameters, train_loader):
        self.set_model(model_parameters)
        self._model.train()
        optimizer = torch.optim.SGD(self._model.parameters(), lr=self.lr)  # fresh, plain SGD
        total, count = 0.0, 0
        for _ in range(self.epochs):
            for data, target in train_loader:
                output = self._model(data)
                loss = self.criterion(output, target)
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
                total += loss.item() * len(target)
                count += len(target)
        return self.model_parameters, total / max(count, 1)


class WeightedSyncServerHandler(SyncServerHandler):
    """FedLab's synchronous handler, aggregating with the uploaded sample counts as weights."""

    def global_update(self, buffer):
        parameters = [pack[0] for pack in buffer]
        weights = torch.cat([pack[1] for pack in buffer])
        self.last_train_loss = float((torch.cat([p[2] for p in buffer]) * weights).sum() / weights.sum())
        SerializationTool.deserialize_model(self._model, Aggregators.fedavg_aggregate(parameters, weights))


def make_model(name):
    if name == "mlp":
        return MLP(784, 10)  # FedLab's MLP: 784-200-200-10, ReLU (199,210 parameters)
    return torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(784, 10))  # FedLab ships no LR model


def partition(targets, args):
    spec = args.partition
    if spec == "iid":
        part = FMNISTPartitioner(targets, args.clients, partition="iid", seed=args.seed)
    elif spec.startswith("dirichlet:"):
        part = FMNISTPartitioner(targets, args.clients, partition="noniid-labeldir",
                                 dir_alpha=float(spec.split(":", 1)[1]), seed=args.seed)
    else:
        raise SystemExit(f"unsupported partition {spec!r} (iid or dirichlet:<alpha>)")
    return part.client_dict


def partition_report(client_dict, targets, path):
    with open(path, "w") as f:
        f.write("client,samples," + ",".join(f"c{k}" for k in range(10)) + "\n")
        for cid in range(len(client_dict)):
            counts = np.bincount(targets[client_dict[cid]], minlength=10)
            f.write(f"{cid},{counts.sum()}," + ",".join(str(c) for c in counts) + "\n")


def main(args):
    out = open(args.out, "w") if args.out else sys.stdout
    wall0 = time.perf_counter()
    x_train, y_train, x_test, y_test = load_fmnist(args.data_dir)
    targets = y_train.numpy()
    client_dict = partition(targets, args)  # FedLab reseeds numpy's global RNG with `seed`
    if args.partition_report:
        partition_report(client_dict, targets, args.partition_report)

    random.seed(args.seed)  # FedLab's client sampling draws from Python's global `random`
    torch.manual_seed(args.seed)
    model = make_model(args.model)
    model_bytes = sum(p.numel() for p in model.parameters()) * 4

    handler = WeightedSyncServerHandler(model, global_round=args.rounds,
                                        sample_ratio=args.sample / args.clients)
    trainer = WeightedSerialTrainer(make_model(args.model), args.clients)
    trainer.setup_dataset(PartitionedFMNIST(x_train, y_train, client_dict, args.seed))
    trainer.setup_optim(args.epochs, args.batch, args.lr)
    handler.num_clients = trainer.num_clients  # what StandalonePipeline.__init__ does

    round_seconds = []
    acc = loss = None
    while not handler.if_stop:
        t0 = time.perf_counter()
        sampled = handler.sample_clients()
        broadcast = handler.downlink_package
        trainer.local_process(broadcast, sampled)
        uploads = trainer.uplink_package
        for pack in uploads:
            handler.load(pack)
        seconds = time.perf_counter() - t0
        round_seconds.append(seconds)

        e0 = time.perf_counter()
        acc, loss = evaluate(handler.model, x_test, y_test, args.eval_batch)
        eval_seconds = time.perf_counter() - e0
        k = len(sampled)
        print(json.dumps({"round": handler.round, "accuracy": acc, "loss": loss, "seconds": seconds,
                          "eval_seconds": eval_seconds, "selected": k, "completed": len(uploads),
                          "failed": 0, "bytes_down": k * model_bytes, "bytes_up": k * (model_bytes + 8),
                          "train_loss": handler.last_train_loss}), file=out, flush=True)
        print(f"round {handler.round}/{args.rounds}  acc {acc * 100:.2f}%  {seconds:.3f} s/round",
              file=sys.stderr, flush=True)

    config = {k: str(v) for k, v in vars(args).items() if k not in ("out", "partition_report", "data_dir")}
    print(json.dumps({"final": True, "system": "fedlab-1.3.0", "accuracy": acc, "loss": loss,
                      "rounds": handler.round, "mean_round_seconds": sum(round_seconds) / len(round_seconds),
                      "wall_seconds": time.perf_counter() - wall0, "threads": args.threads,
                      "torch": torch.__version__,
                      "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0,
                      "config": config}), file=out, flush=True)
    if out is not sys.stdout:
        out.close()


if __name__ == "__main__":
    main(ARGS)
