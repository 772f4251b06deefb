"""PyTorch side of cmd/benchattention: forward+backward of the same attention
shapes, printed as lines "RESULT {json}".

CPU (Debian's python3-torch): FAVOR+ (softmax kernel, positive orthogonal
features, the stabilizers of lib/performer), FAVOR with the ReLU kernel on m
random features, and plain exact attention; each configuration in a child
process (its peak RSS is its own), with 2 threads and GLIBC_TUNABLES set so
glibc's malloc does not return and re-fault large blocks.

GPU (--device cuda): the same FAVOR+ in float32 and bfloat16, and
torch.nn.functional.scaled_dot_product_attention (FlashAttention for bf16) in
float32 and bfloat16, in one process; peak memory from
torch.cuda.max_memory_allocated.
"""
import argparse
import json
import math
import os
import resource
import statistics
import subprocess
import sys
import time

import torch

TUNABLES = "glibc.malloc.mmap_max=0:glibc.malloc.trim_threshold=68719476736"


def orthogonal_projection(m, d, gen):
    blocks = []
    for _ in range((m + d - 1) // d):
        g = torch.randn(d, d, generator=gen, dtype=torch.float64)
        q, r = torch.linalg.qr(g)
        q = q * torch.sign(torch.diagonal(r))  # Haar
        blocks.append(q.T)
    w = torch.cat(blocks, 0)[:m]
    norms = torch.randn(m, d, generator=gen, dtype=torch.float64).norm(dim=1, keepdim=True)
    return (w * norms).float()


def favor(q, k, v, w, kernel, eps=1e-6, den_eps=1e-6):
    d = q.shape[-1]
    dn = d ** -0.25
    q, k = q * dn, k * dn
    w = w.to(q.dtype)
    if kernel == "softmax":
        uq, uk = q @ w.T, k @ w.T
        m = w.shape[0]
        dq = (q * q).sum(-1, keepdim=True) / 2
        dk = (k * k).sum(-1, keepdim=True) / 2
        qp = (torch.exp(uq - dq - uq.amax(-1, keepdim=True).detach()) + eps) / math.sqrt(m)
        kp = (torch.exp(uk - dk - uk.amax((-2, -1), keepdim=True).detach()) + eps) / math.sqrt(m)
    else:
        qp = torch.relu(q @ w.T) + 1e-3
        kp = torch.relu(k @ w.T) + 1e-3
    kv = kp.transpose(-1, -2) @ v
    num = qp @ kv
    den = qp @ kp.sum(-2).unsqueeze(-1)
    den = den + 2 * den_eps * (den.abs() <= den_eps)
    return num / den


def exact(q, k, v):
    s = (q @ k.transpose(-1, -2)) * (q.shape[-1] ** -0.5)
    return torch.softmax(s, -1) @ v


def run_one(method, length, args, device):
    dtype = torch.bfloat16 if method.endswith("_bf16") else torch.float32
    gen = torch.Generator().manual_seed(0)
    shape = (args.batch, args.heads, length, args.dim)
    q, k, v, r = (torch.randn(shape, generator=gen).to(device=device, dtype=dtype) for _ in range(4))
    for x in (q, k, v):
        x.requires_grad_(True)
    w = orthogonal_projection(args.features, args.dim, gen).to(device)
    base = method.removesuffix("_bf16").removesuffix("_f32")

    def step():
        for x in (q, k, v):
            x.grad = None
        if base == "favor_softmax":
            out = favor(q, k, v, w, "softmax")
        elif base == "favor_relu":
            out = favor(q, k, v, w, "relu")
        elif base == "exact":
            out = exact(q, k, v)
        elif base == "sdpa":
            out = torch.nn.functional.scaled_dot_product_attention(q, k, v)
        elif base == "sdpa_causal":
            out = torch.nn.functional.scaled_dot_product_attention(q, k, v, is_causal=True)
        else:
            raise ValueError(method)
        (out * r).sum().backward()
        if device == "cuda":
            torch.cuda.synchronize()

    rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    if device == "cuda":
        torch.cuda.synchronize()
        torch.cuda.reset_peak_memory_stats()
    t0 = time.perf_counter()
    step()
    first = (time.perf_counter() - t0) * 1000
    runs = []
    start = time.perf_counter()
    while len(runs) < args.min_runs or time.perf_counter() - start < args.min_time:
        t0 = time.perf_counter()
        step()
        runs.append((time.perf_counter() - t0) * 1000)
    res = dict(method=method, length=length, batch=args.batch, heads=args.heads, dim=args.dim,
               features=args.features, device=device, threads=torch.get_num_threads(),
               torch=torch.__version__, first_ms=first, median_ms=statistics.median(runs),
               min_ms=min(runs), runs=len(runs), finite=bool(torch.isfinite(q.grad).all()))
    if device == "cuda":
        res["peak_mb"] = torch.cuda.max_memory_allocated() / 2**20
        res["gpu"] = torch.cuda.get_device_name()
    else:
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        res["peak_mb"] = peak
        res["peak_delta_mb"] = peak - rss0
        res["glibc_tunables"] = os.environ.get("GLIBC_TUNABLES", "")
    return res


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--lengths", default="1024,4096")
    p.add_argument("--batch", type=int, default=1)
    p.add_argument("--heads", type=int, default=8)
    p.add_argument("--dim", type=int, default=64)
    p.add_argument("--features", type=int, default=256)
    p.add_argument("--max-exact", type=int, default=8192)
    p.add_argument("--min-runs", type=int, default=3)
    p.add_argument("--min-time", type=float, default=2.0)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--device", default="cpu")
    p.add_argument("--methods", default="")
    p.add_argument("--child", default="")
    args = p.parse_args()
    torch.set_num_threads(args.threads)
    if args.child:
        method, length = args.child.split(":")
        print("RESULT " + json.dumps(run_one(method, int(length), args, args.device)), flush=True)
        return
    lengths = [int(x) for x in args.lengths.split(",")]
    if args.device == "cuda":
        methods = args.methods.split(",") if args.methods else ["sdpa_bf16", "sdpa_f32", "sdpa_causal_bf16", "favor_softmax_f32",
                                                                     "favor_softmax_bf16", "favor_relu_f32"]
        for length in lengths:
            for method in methods:
                try:
                    res = run_one(method, length, args, "cuda")
                except Exception as e:  # e.g. out of memory
                    res = dict(method=method, length=length, error=str(e)[:300])
                    torch.cuda.empty_cache()
                print("RESULT " + json.dumps(res), flush=True)
        return
    methods = args.methods.split(",") if args.methods else ["exact", "favor_softmax", "favor_relu"]
    env = dict(os.environ, GLIBC_TUNABLES=TUNABLES)
    for length in lengths:
        for method in methods:
            if method.startswith("exact") and length > args.max_exact:
                continue
            cmd = [sys.executable, __file__, "--child", f"{method}:{length}"] + [
                a for a in sys.argv[1:]]
            out = subprocess.run(cmd, env=env, capture_output=True, text=True)
            line = [l for l in out.stdout.splitlines() if l.startswith("RESULT ")]
            if line:
                print(line[-1], flush=True)
            else:
                print("RESULT " + json.dumps(dict(method=method, length=length, error=out.stderr[-300:])), flush=True)


if __name__ == "__main__":
    main()
