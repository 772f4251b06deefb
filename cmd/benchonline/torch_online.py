"""The online loop of cmd/benchonline in PyTorch: a 784-H-H-10 ReLU MLP
trained with batch size 1, one SGD update per example (softmax
cross-entropy), each example of Fashion-MNIST's training set seen once in
order; the online accuracy (prediction before the update) is accumulated
as a tensor and read at the end, as lib/cil/plastic's Online does.

It prints one line
    RESULT {"examples_per_s": ..., "seconds": ..., "examples": ..., "online_accuracy": ..., "threads": ...}
for measure.ParseResults, after an untimed warm-up pass over --warmup examples.

CPU: --threads threads; the script re-executes itself with GLIBC_TUNABLES
(shared/docs/platform.md: untuned glibc malloc makes torch pay page faults)
and, with --omp-passive, OMP_WAIT_POLICY=PASSIVE (OpenMP threads sleep
instead of spinning while they wait: on a shared machine spinning threads
fight the other processes for the cores).
"""

import argparse
import gzip
import json
import os
import struct
import sys
import time

TUNABLES = "glibc.malloc.mmap_max=0:glibc.malloc.trim_threshold=68719476736"
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


def load(folder):
    def find(name):
        for p in (os.path.join(folder, name + ".gz"), os.path.join(folder, name)):
            if os.path.exists(p):
                return p
        raise FileNotFoundError(os.path.join(folder, name))

    x = read_idx(find("train-images-idx3-ubyte")).reshape(-1, 784)
    y = read_idx(find("train-labels-idx1-ubyte"))
    return torch.from_numpy(x.astype(np.float32) / 255), torch.from_numpy(y.astype(np.int64))


def net(hidden):
    m = nn.Sequential(nn.Linear(784, hidden), nn.ReLU(), nn.Linear(hidden, hidden), nn.ReLU(), nn.Linear(hidden, 10))
    for i, layer in enumerate([m[0], m[2], m[4]]):
        bound = (6 / layer.in_features) ** 0.5 if i < 2 else (3 / layer.in_features) ** 0.5
        nn.init.uniform_(layer.weight, -bound, bound)
        nn.init.zeros_(layer.bias)
    return m


def online_pass(model, opt, x, y):
    correct = torch.zeros((), dtype=torch.int64)
    for i in range(x.shape[0]):
        xb, yb = x[i : i + 1], y[i : i + 1]
        out = model(xb)
        loss = F.cross_entropy(out, yb)
        opt.zero_grad()
        loss.backward()
        opt.step()
        correct += (out.detach().argmax(1) == yb).sum()
    return int(correct.item())


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--n", type=int, default=60000)
    p.add_argument("--hidden", type=int, default=100)
    p.add_argument("--lr", type=float, default=0.01)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--warmup", type=int, default=1000)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--optimizer", default="sgd")
    p.add_argument("--omp-passive", action="store_true")
    p.add_argument("--data", default=os.environ.get("LABNOTES_FASHION_MNIST", "/usr/share/datasets/fashion-mnist"))
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    x, y = load(a.data)
    model = net(a.hidden)
    if a.optimizer == "adam":
        opt = torch.optim.Adam(model.parameters(), lr=a.lr)
    else:
        opt = torch.optim.SGD(model.parameters(), lr=a.lr)
    online_pass(model, opt, x[: a.warmup], y[: a.warmup])
    n = min(a.n, x.shape[0])
    start = time.perf_counter()
    correct = online_pass(model, opt, x[:n], y[:n])
    sec = time.perf_counter() - start
    print("RESULT " + json.dumps({"examples_per_s": n / sec, "seconds": sec, "examples": n, "online_accuracy": correct / n,
                                  "threads": a.threads, "omp_passive": a.omp_passive, "torch": torch.__version__}), flush=True)


if __name__ == "__main__":
    main()
