#!/usr/bin/env python3
"""FedLab 1.3.0's algorithms on the configuration of `Benchmarks/algorithms/run.sh`, on FedSwift's own
client partition, for the side-by-side table in Benchmarks/RESULTS.md ("Algorithm suite").

Runs FedLab's handler and trainer classes from `fedlab.contrib.algorithm` (the installed package, see
Benchmarks/fedlab/setup.sh; nothing of FedLab is copied). Same data as `fedswift simulate`:
Fashion-MNIST from the IDX files, x/255 then (x-0.2860)/0.3530; each client holds exactly the training
samples that `fedswift partition --indices FILE` lists for the same --clients, --partition and --seed
(so both systems train on identical client datasets); FedLab's MLP(784, 10) (784-200-200-10, ReLU,
PyTorch's default initialization from torch.manual_seed(seed)); plain SGD without momentum.

Two variants (--variant):
- `matched` (default): FedLab's classes with the smallest changes that give FedSwift's configuration:
  the sample counts uploaded and used as the aggregation weights where FedSwift (and the papers) weight by
  n_k (FedAvg, FedProx, SCAFFOLD's Δx, FedNova's p_i, Ditto's global model, power-of-choice), FedLab 1.3.0
  averaging unweighted; crashes in FedLab's Ditto and q-FedAvg trainers worked around; and where FedLab's
  update rule deviates from the paper, the paper's rule (FedDyn: gradient-carrying regularizers and the
  server's h; q-FFL: F_k(w^t); power-of-choice: candidates drawn in proportion to data size).
- `shipped`: FedLab's classes as they are (unweighted averages, its own update rules); only crashes are
  worked around. Shows what a FedLab user gets.

Output: JSON Lines in FedSwift's results format (one object per round: round, accuracy, loss, seconds,
eval_seconds, selected, completed; Ditto adds personal_accuracy), then `{"final": true, ...}`.
`seconds` is sampling -> local training -> aggregation, evaluation of the global model excluded.
"""
import argparse
import json
import logging
import os
import resource
import sys
import time
from types import SimpleNamespace

ALGORITHMS = ["fedavg", "fedprox", "scaffold", "fednova", "feddyn", "qffl", "ditto", "powerofchoice"]


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--algorithm", required=True, choices=ALGORITHMS)
    p.add_argument("--variant", default="matched", choices=["matched", "shipped"])
    p.add_argument("--indices", required=True, help="JSON written by `fedswift partition --indices`")
    p.add_argument("--data-dir", default="/usr/share/datasets/fashion-mnist")
    p.add_argument("--sample", type=int, default=10, help="clients per round")
    p.add_argument("--rounds", type=int, default=20)
    p.add_argument("--epochs", type=int, default=1)
    p.add_argument("--batch", type=int, default=32)
    p.add_argument("--lr", type=float, default=0.05)
    p.add_argument("--mu", type=float, default=0.01, help="FedProx μ")
    p.add_argument("--feddyn-alpha", type=float, default=0.01, help="FedDyn α")
    p.add_argument("--q", type=float, default=1.0, help="q-FFL q")
    p.add_argument("--ditto-lambda", type=float, default=0.1, help="Ditto λ")
    p.add_argument("--d", type=int, default=6, help="power-of-choice candidates")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--threads", type=int, default=1, help="torch intra-op threads (and OMP/OpenBLAS)")
    p.add_argument("--out", default=None, help="JSON Lines results file (default: stdout)")
    return p.parse_args(argv)


ARGS = parse_args() if __name__ == "__main__" else None
if ARGS is not None:  # thread settings must be in the environment before torch is imported
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = str(ARGS.threads)

import random  # noqa: E402

import numpy as np  # noqa: E402
import torch  # noqa: E402

from fedlab.contrib.algorithm.basic_server import SyncServerHandler  # noqa: E402
from fedlab.contrib.algorithm.ditto import DittoSerialClientTrainer  # noqa: E402
from fedlab.contrib.algorithm.fedavg import FedAvgSerialClientTrainer  # noqa: E402
from fedlab.contrib.algorithm.feddyn import FedDynSerialClientTrainer, FedDynServerHandler  # noqa: E402
from fedlab.contrib.algorithm.fednova import FedNovaSerialClientTrainer, FedNovaServerHandler  # noqa: E402
from fedlab.contrib.algorithm.fedprox import FedProxSerialClientTrainer  # noqa: E402
from fedlab.contrib.algorithm.powerofchoice import Powerofchoice, PowerofchoiceSerialClientTrainer  # noqa: E402
from fedlab.contrib.algorithm.qfedavg import qFedAvgClientTrainer, qFedAvgServerHandler  # noqa: E402
from fedlab.contrib.algorithm.scaffold import ScaffoldSerialClientTrainer, ScaffoldServerHandler  # noqa: E402
from fedlab.models.mlp import MLP  # noqa: E402
from fedlab.utils import Aggregators  # noqa: E402

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fedlab"))
from fmnist_data import IndexedBatches, evaluate, load_fmnist  # noqa: E402
for _handler in logging.getLogger().handlers:  # FedLab's Logger reports every local epoch on stdout
    _handler.setLevel(logging.WARNING)


# ---------------------------------------------------------------- data

class IndexedClients:
    """The `dataset` FedLab's trainers expect (`get_dataloader(id, batch_size)`), over FedSwift's
    partition. `batch_size=None` gives the whole client as one batch, as FedLab's own partitioned
    datasets do (power-of-choice evaluates candidates that way)."""

    def __init__(self, x, y, clients, seed):
        self.x, self.y = x, y
        self.clients = [torch.tensor(c, dtype=torch.int64) for c in clients]
        self.generator = torch.Generator().manual_seed(seed)

    def num_samples(self, cid):
        return len(self.clients[cid])

    def get_dataloader(self, cid, batch_size=None):
        size = batch_size or max(1, len(self.clients[cid]))
        return IndexedBatches(self.x, self.y, self.clients[cid], size, self.generator)


class UploadsSampleCount:
    """Mixin for FedLab serial trainers: appends each client's sample count n_k to its upload
    (FedLab 1.3.0 uploads none, so its servers cannot weight by data size)."""

    def local_process(self, payload, id_list):
        start = len(self.cache)
        super().local_process(payload, id_list)
        for cid, pack in zip(id_list, self.cache[start:]):
            pack.append(torch.tensor([float(self.dataset.num_samples(cid))]))


class FedAvgClients(UploadsSampleCount, FedAvgSerialClientTrainer):
    """FedLab's FedAvg trainer, uploading n_k."""


class FedProxClients(UploadsSampleCount, FedProxSerialClientTrainer):
    """FedLab's FedProx trainer (loss + μ/2 ‖w − w^t‖²), uploading n_k."""


class ScaffoldClients(UploadsSampleCount, ScaffoldSerialClientTrainer):
    """FedLab's SCAFFOLD trainer (option II control variates), uploading n_k."""


class FedNovaClients(UploadsSampleCount, FedNovaSerialClientTrainer):
    """FedLab's FedNova trainer (uploads τ_i = local steps), uploading n_k."""


class PowerOfChoiceClients(UploadsSampleCount, PowerofchoiceSerialClientTrainer):
    """FedLab's power-of-choice trainer (evaluates candidates' losses), uploading n_k."""


class FedDynClients(UploadsSampleCount, FedDynSerialClientTrainer):
    """FedLab's FedDyn trainer, uploading n_k. FedLab 1.3.0 builds its linear and proximal terms from
    `self.model_parameters`, a detached copy (`param.data`), so they add no gradient and its local step is
    plain SGD; with `paper=True` the terms are built from the live parameters (FedDyn's Eq. 1)."""

    paper = False

    def train(self, id, model_parameters, train_loader):
        if not self.paper:
            return super().train(id, model_parameters, train_loader)
        if self.L[id] is None:
            self.L[id] = torch.zeros_like(model_parameters)
        grad_prev, center = self.L[id], model_parameters
        self.set_model(model_parameters)
        self._model.train()
        for _ in range(self.epochs):
            for data, target in train_loader:
                theta = torch.cat([p.view(-1) for p in self._model.parameters()])  # carries gradients
                loss = (self.criterion(self.model(data), target) - torch.dot(grad_prev, theta)
                        + 0.5 * self.alpha * torch.sum((theta - center) ** 2))
                self.optimizer.zero_grad()
                loss.backward()
                self.optimizer.step()
        self.L[id] = grad_prev - self.alpha * (self.model_parameters - center)  # FedLab's own update
        return [self.model_parameters]


class DittoClients(DittoSerialClientTrainer):
    """FedLab's Ditto trainer. Its `local_process` cannot run in FedLab 1.3.0 (it calls the `tqdm`
    module, `get_data_loader`, `self.args` and `_train_alone`, none of which exist); this one does what
    it evidently means: `train` (FedLab's own: E epochs of SGD on the global model, then E epochs on the
    personal model v_k with loss + λ/2 ‖v − w^t‖²) for every selected client, keeping v_k and uploading
    [global update, n_k]."""

    def setup_ditto(self, epochs, batch_size, lr, lam):
        self.setup_optim(epochs, batch_size, lr)
        self.args = SimpleNamespace(epochs=epochs, batch_size=batch_size, lr=lr, mu=lam)

    def local_process(self, payload, id_list):
        for cid in id_list:
            loader = self.dataset.get_dataloader(cid, self.batch_size)
            self.parameters[cid], glb = self.train(payload[0], self.parameters[cid], loader)
            self.cache.append([glb, torch.tensor([float(self.dataset.num_samples(cid))])])

    @property
    def uplink_package(self):
        package, self.cache = self.cache, []
        return package


class QFFLClients:
    """A serial wrapper around FedLab's single-client `qFedAvgClientTrainer` (FedLab 1.3.0 ships no serial
    q-FedAvg trainer). Its `train` reads `self.lr`, which `setup_optim` never sets; set here. FedLab's F_k
    is the sum of the minibatch losses of the last local epoch; with `paper=True` it is the received
    model's mean loss on the client's training data, F_k(w^t), as in the q-FFL paper (Algorithm 2) and
    its reference code."""

    def __init__(self, model, dataset, epochs, batch_size, lr, q, paper):
        self.trainer = PaperQFFLTrainer(model) if paper else qFedAvgClientTrainer(model)
        self.trainer.setup_dataset(dataset)
        self.trainer.setup_optim(epochs, batch_size, lr, q)
        self.trainer.lr = lr
        self.dataset, self.cache = dataset, []

    def local_process(self, payload, id_list):
        for cid in id_list:
            self.trainer.local_process(payload, cid)
            self.cache.append(self.trainer.uplink_package + [torch.tensor([float(self.dataset.num_samples(cid))])])

    @property
    def uplink_package(self):
        package, self.cache = self.cache, []
        return package


class PaperQFFLTrainer(qFedAvgClientTrainer):
    """FedLab's q-FedAvg client with F_k(w^t), the received model's mean loss on the client's data, in place
    of FedLab's summed training losses: Δ_k = F_k^q L (w^t − w̄_k), h_k = q F_k^{q−1} L²‖w^t − w̄_k‖² + L F_k^q."""

    def train(self, model_parameters, train_loader):
        self.set_model(model_parameters)
        self._model.eval()
        with torch.no_grad():
            total, count = 0.0, 0
            for data, target in train_loader:
                total += torch.nn.functional.cross_entropy(self._model(data), target, reduction="sum").item()
                count += len(target)
        f = total / count + 1e-10
        super().train(model_parameters, train_loader)
        grad = (model_parameters - self.model_parameters) / self.lr
        self.delta = grad * np.float_power(f, self.q)
        self.hk = self.q * np.float_power(f, self.q - 1) * grad.norm() ** 2 + 1.0 / self.lr * np.float_power(f, self.q)


# ---------------------------------------------------------------- servers

def counts(buffer):
    return torch.cat([pack[-1] for pack in buffer])


class WeightedFedAvgServer(SyncServerHandler):
    """FedLab's synchronous handler with `Aggregators.fedavg_aggregate(models, n_k)`: FedAvg's n_k/n."""

    def global_update(self, buffer):
        self.set_model(Aggregators.fedavg_aggregate([pack[0] for pack in buffer], counts(buffer)))


class WeightedScaffoldServer(ScaffoldServerHandler):
    """FedLab's SCAFFOLD server with Δx weighted by n_k (as FedSwift); Δc stays unweighted, c += |S|/N · mean Δc."""

    def global_update(self, buffer):
        dx = Aggregators.fedavg_aggregate([pack[0] for pack in buffer], counts(buffer))
        dc = Aggregators.fedavg_aggregate([pack[1] for pack in buffer])
        self.set_model(self.model_parameters + self.lr * dx)
        self.global_c += 1.0 * len(buffer) / self.num_clients * dc


class WeightedFedNovaServer(FedNovaServerHandler):
    """FedLab's FedNova server ("weighted_scale") with p_i = n_i / n (FedNova's Eq. 6) instead of its 1/m."""

    def global_update(self, buffer):
        n = counts(buffer)
        p = (n / n.sum()).tolist()
        taus = [pack[1].item() for pack in buffer]
        deltas = [(pack[0] - self.model_parameters) / tau for pack, tau in zip(buffer, taus)]
        tau_eff = sum(t * pk for t, pk in zip(taus, p))
        delta = sum(d * pk for d, pk in zip(deltas, p)) * self.num_clients / len(deltas)
        self.set_model(self.model_parameters + tau_eff * delta)


class PaperFedDynServer(FedDynServerHandler):
    """FedLab's FedDyn server with the paper's h update, h ← h − α/m Σ_k (θ_k − θ^{t−1}) (Algorithm 1);
    FedLab 1.3.0 subtracts θ^{t−1} once from the sum instead of once per client."""

    def global_update(self, buffer):
        models = [pack[0] for pack in buffer]
        self.h = self.h - self.alpha / self.num_clients * sum(m - self.model_parameters for m in models)
        self.set_model(Aggregators.fedavg_aggregate(models) - self.h / self.alpha)


class PowerOfChoiceServer(Powerofchoice):
    """FedLab's power-of-choice handler; in the matched variant candidates are drawn without replacement
    with probability ∝ n_k (π_pow-d, Cho et al., AISTATS 2022, Algorithm 1; FedLab draws them uniformly)
    and the selected models are averaged with weights n_k (FedSwift's FedAvg)."""

    matched = False

    def setup_sizes(self, sizes, seed):
        self.sizes = np.asarray(sizes, dtype=np.float64)
        self.rng = np.random.default_rng(seed)

    def sample_candidates(self):
        if not self.matched:
            return super().sample_candidates()
        chosen = self.rng.choice(self.num_clients, self.d, replace=False, p=self.sizes / self.sizes.sum())
        return sorted(int(c) for c in chosen)

    def global_update(self, buffer):
        if not self.matched:
            return super().global_update(buffer)
        self.set_model(Aggregators.fedavg_aggregate([pack[0] for pack in buffer], counts(buffer)))


# ---------------------------------------------------------------- setup and loop

def build(args, model, dataset, clients):
    """(handler, trainer) for `args.algorithm` and `args.variant`."""
    matched = args.variant == "matched"
    n = len(clients)
    ratio = args.sample / n
    kw = dict(global_round=args.rounds, sample_ratio=ratio)
    a = args.algorithm
    if a in ("fedavg", "fedprox", "ditto"):
        handler = WeightedFedAvgServer(model, **kw) if matched else SyncServerHandler(model, **kw)
    elif a == "scaffold":
        handler = (WeightedScaffoldServer if matched else ScaffoldServerHandler)(model, **kw)
        handler.setup_optim(1.0)  # global step η_g = 1, as FedSwift's default
    elif a == "fednova":
        handler = (WeightedFedNovaServer if matched else FedNovaServerHandler)(model, **kw)
        handler.setup_optim("weighted_scale")
    elif a == "feddyn":
        handler = (PaperFedDynServer if matched else FedDynServerHandler)(model, **kw)
        handler.setup_optim(args.feddyn_alpha)
    elif a == "qffl":
        handler = qFedAvgServerHandler(model, **kw)
    else:  # powerofchoice
        handler = PowerOfChoiceServer(model, **kw)
        handler.matched = matched
        handler.setup_optim(args.d)
        handler.setup_sizes([len(c) for c in clients], args.seed)

    if a == "qffl":
        trainer = QFFLClients(model, dataset, args.epochs, args.batch, args.lr, args.q, paper=matched)
    elif a == "ditto":
        trainer = DittoClients(model, n)
        trainer.setup_dataset(dataset)
        trainer.setup_ditto(args.epochs, args.batch, args.lr, args.ditto_lambda)
    else:
        cls = {"fedavg": FedAvgClients, "fedprox": FedProxClients, "scaffold": ScaffoldClients,
               "fednova": FedNovaClients, "feddyn": FedDynClients, "powerofchoice": PowerOfChoiceClients}[a]
        trainer = cls(model, n)
        trainer.setup_dataset(dataset)
        if a == "fedprox":
            trainer.setup_optim(args.epochs, args.batch, args.lr, args.mu)
        elif a == "feddyn":
            trainer.setup_optim(args.epochs, args.batch, args.lr, args.feddyn_alpha)
            trainer.paper = matched
        else:
            trainer.setup_optim(args.epochs, args.batch, args.lr)
    handler.num_clients = n  # what StandalonePipeline.__init__ does
    return handler, trainer


def personal_accuracy(trainer, x_test, y_test, personal_test, sizes, selected):
    """Ditto: the n_k-weighted mean accuracy of the selected clients' personal models on their personal
    test samples (FedSwift's `personal_accuracy`)."""
    total, weight = 0.0, 0.0
    for cid in selected:
        idx = torch.tensor(personal_test[cid], dtype=torch.int64)
        if len(idx) == 0:
            continue
        trainer.set_model(trainer.parameters[cid])
        acc, _ = evaluate(trainer.model, x_test[idx], y_test[idx])
        total += sizes[cid] * acc
        weight += sizes[cid]
    return total / weight if weight else None


def main(args):
    torch.set_num_threads(args.threads)
    out = open(args.out, "w") if args.out else sys.stdout
    wall0 = time.perf_counter()
    with open(args.indices) as f:
        exported = json.load(f)
    clients, personal_test = exported["clients"], exported.get("personal_test")
    x_train, y_train, x_test, y_test = load_fmnist(args.data_dir)
    sizes = [len(c) for c in clients]

    random.seed(args.seed)  # FedLab samples clients with Python's global `random`
    torch.manual_seed(args.seed)
    model = MLP(784, 10)  # 784-200-200-10 with ReLU, 199,210 parameters, PyTorch's default init
    dataset = IndexedClients(x_train, y_train, clients, args.seed)
    handler, trainer = build(args, model, dataset, clients)

    accs = []
    round_seconds = []
    while not handler.if_stop:
        t0 = time.perf_counter()
        if args.algorithm == "powerofchoice":
            candidates = handler.sample_candidates()
            losses = trainer.evaluate(candidates, handler.model_parameters)
            sampled = handler.sample_clients(candidates, losses)
        else:
            sampled = handler.sample_clients()
        trainer.local_process(handler.downlink_package, sampled)
        uploads = trainer.uplink_package
        for pack in uploads:
            handler.load(pack)
        record = {}
        if args.algorithm == "ditto" and personal_test:
            record["personal_accuracy"] = personal_accuracy(trainer, x_test, y_test, personal_test, sizes, sampled)
        seconds = time.perf_counter() - t0
        round_seconds.append(seconds)

        e0 = time.perf_counter()
        acc, loss = evaluate(handler.model, x_test, y_test)
        accs.append(acc)
        record = {"round": handler.round, "accuracy": acc, "loss": loss, "seconds": seconds,
                  "eval_seconds": time.perf_counter() - e0, "selected": len(sampled), "completed": len(uploads),
                  "failed": 0, "clients": [int(c) for c in sampled], **record}
        print(json.dumps(record), file=out, flush=True)
        print(f"{args.algorithm} round {handler.round}/{args.rounds}  acc {acc * 100:.2f}%  {seconds:.2f} s",
              file=sys.stderr, flush=True)

    config = {k: v for k, v in vars(args).items() if k not in ("out", "data_dir", "indices")}
    print(json.dumps({"final": True, "system": "fedlab-1.3.0", "accuracy": accs[-1], "best_accuracy": max(accs),
                      "mean_round_seconds": sum(round_seconds) / len(round_seconds),
                      "wall_seconds": time.perf_counter() - wall0, "torch": torch.__version__,
                      "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0,
                      "config": config}), file=out, flush=True)
    if out is not sys.stdout:
        out.close()


if __name__ == "__main__":
    main(ARGS)
