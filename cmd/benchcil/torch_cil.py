"""The training loop of cmd/benchcil in PyTorch: Finetune, Replay and DER on
Split Fashion-MNIST (B0-Inc2, classes in label order), MLP 784-256-256,
Adam lr 1e-3 (or --optimizer sgd: momentum 0.9), batch 128, as lib/cil/deep writes them (and PyCIL: a new
optimizer per task, the head grown with the old weights copied in).

Per method it prints one line
    RESULT {"method": ..., "mean_s_per_epoch": ..., "median_s_per_epoch": ..., "epoch_seconds": [...], ...}
for measure.ParseResults. Seconds per epoch: one pass over the task's
training set (new data, plus exemplars for Replay and DER) in shuffled
minibatches of 128: gather, forward, loss, backward, Adam step, loss.item()
each step. Exemplars are chosen at random with PyCIL's class-balanced
quota (floor(2000 / seen) per class): the count, which sets the epoch's
work, equals the Go side's herding; selection is not timed.

CPU: 2 threads; the script re-executes itself with GLIBC_TUNABLES
(shared/docs/platform.md: untuned glibc malloc makes torch pay page faults)
and, with --omp-passive, OMP_WAIT_POLICY=PASSIVE.
"""

import argparse
import gzip
import json
import os
import struct
import sys
import time

TUNABLES = "glibc.malloc.mmap_max=0:glibc.malloc.trim_threshold=68719476736"
# --omp-passive: OpenMP threads sleep instead of spinning while they wait
# (OMP_WAIT_POLICY=PASSIVE, read when OpenMP starts, so set before torch is
# imported). On a shared machine spinning threads fight the other processes
# for the cores: measured here, 2 threads at load ~5 took 10-20x longer per
# epoch with the default policy than with PASSIVE.
_env = dict(os.environ, GLIBC_TUNABLES=TUNABLES)
if "--omp-passive" in sys.argv:
    _env["OMP_WAIT_POLICY"] = "PASSIVE"
if any(os.environ.get(k) != v for k, v in _env.items()):
    os.execve(sys.executable, [sys.executable] + sys.argv, _env)

import numpy as np  # noqa: E402
import torch  # noqa: E402
import torch.nn as nn  # noqa: E402
import torch.nn.functional as F  # noqa: E402


def read_idx(path):
    op = gzip.open if path.endswith(".gz") else open
    with op(path, "rb") as f:
        data = f.read()
    ndim = data[3]
    dims = struct.unpack(">" + "I" * ndim, data[4 : 4 + 4 * ndim])
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim).reshape(dims)


def load(folder, prefix, n):
    def find(name):
        for p in (os.path.join(folder, name + ".gz"), os.path.join(folder, name)):
            if os.path.exists(p):
                return p
        raise FileNotFoundError(os.path.join(folder, name))

    x = read_idx(find(prefix + "-images-idx3-ubyte")).reshape(-1, 784)
    y = read_idx(find(prefix + "-labels-idx1-ubyte"))
    if n > 0:
        x, y = x[:n], y[:n]
    return torch.from_numpy(x.astype(np.float32) / 255), torch.from_numpy(y.astype(np.int64))


def backbone(hidden):
    # lib/cil/deep's MLP: base dense_0 + ReLU, top dense_1 + ReLU.
    return nn.Sequential(nn.Linear(784, hidden), nn.ReLU(), nn.Linear(hidden, hidden), nn.ReLU())


class Net(nn.Module):
    def __init__(self, hidden):
        super().__init__()
        self.hidden = hidden
        self.backbones = nn.ModuleList([backbone(hidden)])
        self.fc = None
        self.aux = None

    def grow_head(self, classes):
        f = self.hidden * len(self.backbones)
        fc = nn.Linear(f, classes)
        if self.fc is not None:
            with torch.no_grad():
                o, i = self.fc.weight.shape
                fc.weight[:o, :i] = self.fc.weight
                fc.bias[:o] = self.fc.bias
        self.fc = fc

    def forward(self, x):
        feats = [b(x) for b in self.backbones]
        h = feats[0] if len(feats) == 1 else torch.cat(feats, 1)
        out = self.fc(h)
        aux = self.aux(feats[-1]) if self.aux is not None else None
        return out, aux


def train_epochs(net, params, x, y, known, method, epochs, batch, lr, gen, times, optimizer):
    if optimizer == "sgd":
        opt = torch.optim.SGD(params, lr=lr, momentum=0.9)
    else:
        opt = torch.optim.Adam(params, lr=lr)
    n = x.shape[0]
    for _ in range(epochs):
        start = time.perf_counter()
        perm = torch.randperm(n, generator=gen)
        for at in range(0, n, batch):
            idx = perm[at : at + batch]
            xb, yb = x[idx], y[idx]
            logits, aux = net(xb)
            if method == "Finetune":
                loss = F.cross_entropy(logits[:, known:], yb - known)
            else:
                loss = F.cross_entropy(logits, yb)
            if aux is not None:
                ay = torch.where(yb >= known, yb - known + 1, torch.zeros_like(yb))
                loss = loss + F.cross_entropy(aux, ay)
            opt.zero_grad()
            loss.backward()
            opt.step()
            loss.item()
        times.append(time.perf_counter() - start)


def weight_align(fc, known):
    # As lib/cil/deep: only shrinks the new classes' weights (gamma <= 1).
    with torch.no_grad():
        w = fc.weight  # [classes, features]
        gamma = w[:known].norm(dim=1).mean() / w[known:].norm(dim=1).mean()
        if gamma <= 1:
            w[known:] *= gamma


def run(method, xtr, ytr, xte, yte, a):
    torch.manual_seed(a.seed)
    gen = torch.Generator().manual_seed(a.seed)
    net = Net(a.hidden)
    mem_x, mem_y = None, None
    times, tasks, examples, accs = [], [], [], []
    classes = int(ytr.max()) + 1
    for t, known in enumerate(range(0, classes, 2)):
        seen = known + 2
        sel = (ytr >= known) & (ytr < seen)
        x, y = xtr[sel], ytr[sel]
        if method in ("Replay", "DER") and mem_x is not None:
            x, y = torch.cat([x, mem_x]), torch.cat([y, mem_y])
        params = None
        if method == "DER" and t > 0:
            new = backbone(a.hidden)
            new.load_state_dict(net.backbones[-1].state_dict())
            for b in net.backbones:
                for p in b.parameters():
                    p.requires_grad = False
            net.backbones.append(new)
            net.grow_head(seen)
            net.aux = nn.Linear(a.hidden, 2 + 1)
            params = list(new.parameters()) + list(net.fc.parameters()) + list(net.aux.parameters())
        else:
            net.grow_head(seen)
            params = list(net.parameters())
        before = len(times)
        train_epochs(net, params, x, y, known, method, a.epochs, a.batch, a.lr, gen, times, a.optimizer)
        tasks += [t] * (len(times) - before)
        examples += [x.shape[0]] * (len(times) - before)
        if method == "DER" and t > 0:
            weight_align(net.fc, known)
            net.aux = None
        if method in ("Replay", "DER"):
            quota = a.memory // seen
            xs, ys = [], []
            for c in range(seen):
                pool = xtr[ytr == c]
                if mem_x is not None and c < known:
                    pool = mem_x[mem_y == c]  # keep the first ones, as cil.Buffer
                    xs.append(pool[:quota])
                else:
                    pick = torch.randperm(pool.shape[0], generator=gen)[:quota]
                    xs.append(pool[pick])
                ys.append(torch.full((xs[-1].shape[0],), c, dtype=torch.int64))
            mem_x, mem_y = torch.cat(xs), torch.cat(ys)
        with torch.no_grad():
            te = yte < seen
            logits, _ = net(xte[te])
            accs.append(float((logits.argmax(1) == yte[te]).float().mean()))
    params = sum(p.numel() for p in net.parameters())
    return {
        "method": method,
        "epochs": a.epochs,
        "optimizer": a.optimizer,
        "lr": a.lr,
        "epoch_seconds": times,
        "epoch_tasks": tasks,
        "epoch_examples": examples,
        "mean_s_per_epoch": sum(times) / len(times),
        "median_s_per_epoch": float(np.median(times)),
        "train_s": sum(times),
        "last_accuracy": accs[-1],
        "avg_incremental_accuracy": sum(accs) / len(accs),
        "parameters": params,
        "threads": torch.get_num_threads(),
        "torch": torch.__version__,
        "glibc_tunables": os.environ.get("GLIBC_TUNABLES", ""),
        "omp_wait_policy": os.environ.get("OMP_WAIT_POLICY", ""),
    }


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--epochs", type=int, default=2)
    p.add_argument("--methods", default="Finetune,Replay,DER")
    p.add_argument("--threads", type=int, default=2, help="torch.set_num_threads")
    p.add_argument("--train", type=int, default=0, help="training images (0: all)")
    p.add_argument("--test", type=int, default=0, help="test images (0: all)")
    p.add_argument("--data", default=os.environ.get("LABNOTES_FASHION_MNIST", "/usr/share/datasets/fashion-mnist"))
    p.add_argument("--hidden", type=int, default=256)
    p.add_argument("--batch", type=int, default=128)
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--optimizer", default="adam", choices=["adam", "sgd"], help="Adam, or SGD with momentum 0.9")
    p.add_argument("--memory", type=int, default=2000)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--omp-passive", action="store_true", help="run with OMP_WAIT_POLICY=PASSIVE")
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    xtr, ytr = load(a.data, "train", a.train)
    xte, yte = load(a.data, "t10k", a.test)
    for m in a.methods.split(","):
        if m not in ("Finetune", "Replay", "DER"):
            print(f"unsupported method {m} (Finetune, Replay, DER)", file=sys.stderr)
            sys.exit(2)
        res = run(m, xtr, ytr, xte, yte, a)
        print("RESULT " + json.dumps(res), flush=True)


if __name__ == "__main__":
    main()
