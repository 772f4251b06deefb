"""PyTorch side of cmd/benchrecursive: training throughput of TRM-MLP, written
the way the reference implementation (SamsungSAILMontreal/TinyRecursiveModels,
models/recursive_reasoning/trm.py, models/losses.py, pretrain.py) writes it,
on the shapes cmd/benchrecursive passes (those of lib/recursive's model).
Prints one line "RESULT {json}" per variant.

The model (TRM with mlp_t, "TRM-MLP", Sudoku):
  - post-norm blocks: h = rms_norm(h + mlp_t(h^T))^T over the sequence axis
    (the token-mixing SwiGLU across the S = P + L positions), then
    h = rms_norm(h + mlp(h)) over D; rms_norm without weight; SwiGLU
    gate_up/down without biases (CastedLinear); the SwiGLU widths are those
    of lib/recursive/blocks.SwiGLUInter (--mixer-inter, --mlp-inter), see below;
  - input embedding: token embedding [V, D] and P puzzle-embedding prefix
    positions, scaled by sqrt(D); initial states H_init, L_init (buffers);
  - deep_recursion: T-1 recursions under torch.no_grad, then one with grad;
    each recursion n times z_L = L_level(z_L, z_H + x), then
    z_H = L_level(z_H, z_L) (one network, L_level, as TRM);
  - heads: lm_head (no bias) on the L puzzle positions, q_head (bias, zero
    weight, bias -5) on position 0; the carry reset of halted slots
    (torch.where with H_init / L_init), the carry detached;
  - loss (ACTLossHead): stablemax cross-entropy in float64, per-puzzle mean
    over the label cells, batch mean, plus 0.5 * BCE(q_halt, answer exactly
    right); TRM has no q_continue loss (no_ACT_continue);
  - update: AdamATan2 (the adam-atan2 package's: p *= 1 - lr*wd;
    p -= lr * atan2(m/bc1, sqrt(v/bc2)); betas 0.9, 0.95, weight decay 1.0,
    linear warmup 2000 steps) for the network, written with torch._foreach
    ops (the reference uses a fused CUDA kernel); SignSGD with weight decay
    for the puzzle embedding (the reference's sparse
    CastedSparseEmbeddingSignSGD_Distributed, here dense on the [ids, P*D]
    table); EMA of the weights (decay --ema) without the puzzle embedding.
  - host work per step as lib/recursive's Trainer: inputs copied to the
    device, q_halt and exactness read back, halted slots (q_halt > 0 or
    N_sup steps) take a new puzzle.

Differences from the reference, on purpose (to match lib/recursive's shapes):
  - the reference rounds every SwiGLU width up to a multiple of 256: the
    token mixer on S = 97 positions gets 512 there, 264 here (lib/recursive/blocks
    rounds widths of d <= 128 to a multiple of 8); the channel SwiGLU gets
    1536 in both;
  - the reference's puzzle embedding is puzzle_emb_ndim = D wide, zero
    padded to P*D; here (and in lib/recursive) it is P*D wide (8192 values
    per puzzle id instead of 512);
  - the reference runs the forward in bfloat16 (forward_dtype) and compiles
    the model with torch.compile: variants bf16 and *_compile (CUDA, torch 2)
    time those; f32 is what GoMLX computes.

CPU: 2 threads, GLIBC_TUNABLES set (the script re-executes itself with it)
so glibc's malloc does not return and re-fault large blocks
(shared/docs/platform.md). Debian's python3-torch 1.13 has no torch.compile.
"""
import argparse
import csv
import json
import math
import os
import statistics
import sys
import time

TUNABLES = "glibc.malloc.mmap_max=0:glibc.malloc.trim_threshold=68719476736"


def _device_arg():
    for i, a in enumerate(sys.argv):
        if a == "--device" and i + 1 < len(sys.argv):
            return sys.argv[i + 1]
        if a.startswith("--device="):
            return a.split("=", 1)[1]
    return "cpu"


if _device_arg() == "cpu" and os.environ.get("GLIBC_TUNABLES") != TUNABLES:
    os.execve(sys.executable, [sys.executable] + sys.argv, dict(os.environ, GLIBC_TUNABLES=TUNABLES))

import torch  # noqa: E402
import torch.nn as nn  # noqa: E402
import torch.nn.functional as F  # noqa: E402

TRUNC_STD = 0.87962566103423978  # std of a standard normal truncated to [-2, 2]


def status_mb(key):
    """VmHWM (peak) or VmRSS of this process, in MB. getrusage's maxrss is
    not used: Linux carries it across exec, from the Go process that
    started this one."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1]) / 1024
    return 0.0


def trunc_normal(shape, std):
    """HRM's trunc_normal_init_ (JAX convention): std is the final std."""
    t = torch.empty(shape)
    s = std / TRUNC_STD
    return nn.init.trunc_normal_(t, std=s, a=-2 * s, b=2 * s)


def rms_norm(x, eps):
    dt = x.dtype
    x = x.float()
    x = x * torch.rsqrt(x.square().mean(-1, keepdim=True) + eps)
    return x.to(dt)


class CastedLinear(nn.Module):
    def __init__(self, fan_in, fan_out, bias=False):
        super().__init__()
        self.weight = nn.Parameter(trunc_normal((fan_out, fan_in), 1.0 / math.sqrt(fan_in)))
        self.bias = nn.Parameter(torch.zeros(fan_out)) if bias else None

    def forward(self, x):
        b = self.bias.to(x.dtype) if self.bias is not None else None
        return F.linear(x, self.weight.to(x.dtype), b)


class SwiGLU(nn.Module):
    def __init__(self, d, inter):
        super().__init__()
        self.gate_up_proj = CastedLinear(d, 2 * inter)
        self.down_proj = CastedLinear(inter, d)

    def forward(self, x):
        gate, up = self.gate_up_proj(x).chunk(2, dim=-1)
        return self.down_proj(F.silu(gate) * up)


class Block(nn.Module):
    def __init__(self, a):
        super().__init__()
        self.eps = a.norm_eps
        self.mlp_t = SwiGLU(a.prefix + a.seq_len, a.mixer_inter)
        self.mlp = SwiGLU(a.hidden, a.mlp_inter)

    def forward(self, h):
        h = h.transpose(1, 2)
        h = rms_norm(h + self.mlp_t(h), self.eps)
        h = h.transpose(1, 2)
        return rms_norm(h + self.mlp(h), self.eps)


class ReasoningModule(nn.Module):
    def __init__(self, a):
        super().__init__()
        self.layers = nn.ModuleList([Block(a) for _ in range(a.layers)])

    def forward(self, h, injection):
        h = h + injection
        for layer in self.layers:
            h = layer(h)
        return h


class TRM(nn.Module):
    def __init__(self, a, dtype):
        super().__init__()
        self.a, self.dtype = a, dtype
        d = a.hidden
        self.embed_scale = math.sqrt(d)
        self.embed_tokens = nn.Parameter(trunc_normal((a.vocab, d), 1.0 / math.sqrt(d)))
        self.puzzle_emb = nn.Parameter(torch.zeros(a.num_ids, a.prefix * d))
        self.L_level = ReasoningModule(a)
        self.lm_head = CastedLinear(d, a.vocab)
        self.q_head = CastedLinear(d, 2, bias=True)
        with torch.no_grad():
            self.q_head.weight.zero_()
            self.q_head.bias.fill_(-5)
        self.register_buffer("H_init", trunc_normal((d,), 1.0).to(dtype))
        self.register_buffer("L_init", trunc_normal((d,), 1.0).to(dtype))

    def embed(self, inputs, ids):
        a = self.a
        e = F.embedding(inputs, self.embed_tokens.to(self.dtype))
        p = self.puzzle_emb[ids].to(self.dtype).view(-1, a.prefix, a.hidden)
        return self.embed_scale * torch.cat((p, e), dim=-2)

    def forward(self, z_H, z_L, reset, inputs, ids):
        a = self.a
        r = reset.view(-1, 1, 1)
        z_H = torch.where(r, self.H_init, z_H)
        z_L = torch.where(r, self.L_init, z_L)
        x = self.embed(inputs, ids)
        with torch.no_grad():
            for _ in range(a.T - 1):
                for _ in range(a.n):
                    z_L = self.L_level(z_L, z_H + x)
                z_H = self.L_level(z_H, z_L)
        for _ in range(a.n):
            z_L = self.L_level(z_L, z_H + x)
        z_H = self.L_level(z_H, z_L)
        logits = self.lm_head(z_H)[:, a.prefix:]
        q = self.q_head(z_H[:, 0]).to(torch.float32)
        return z_H.detach(), z_L.detach(), logits, q[..., 0], q[..., 1]


def s(x, eps=1e-30):
    return torch.where(x < 0, 1 / (1 - x + eps), x + 1)


def log_stablemax(x, dim=-1):
    sx = s(x)
    return torch.log(sx / torch.sum(sx, dim=dim, keepdim=True))


def stablemax_cross_entropy(logits, labels, mask):
    logprobs = log_stablemax(logits.to(torch.float64), dim=-1)
    idx = torch.where(mask, labels, 0).to(torch.long)
    pred = torch.gather(logprobs, index=idx.unsqueeze(-1), dim=-1).squeeze(-1)
    return -torch.where(mask, pred, 0)


def loss_fn(logits, q_halt, labels):
    mask = labels != 0
    counts = mask.sum(-1)
    div = counts.clamp_min(1).unsqueeze(-1)
    correct = mask & (torch.argmax(logits, dim=-1) == labels)
    exact = (correct.sum(-1) == counts) & (counts > 0)
    lm = (stablemax_cross_entropy(logits, labels, mask) / div).sum(-1).mean()
    q_halt_loss = F.binary_cross_entropy_with_logits(q_halt, exact.to(q_halt.dtype))
    return (lm + 0.5 * q_halt_loss).to(torch.float32), exact


class Optimizer:
    """AdamATan2 (the network), SignSGD (puzzle embedding), EMA."""

    def __init__(self, model, a):
        self.a = a
        self.net = [p for n, p in model.named_parameters() if n != "puzzle_emb"]
        self.emb = model.puzzle_emb
        self.m = [torch.zeros_like(p) for p in self.net]
        self.v = [torch.zeros_like(p) for p in self.net]
        self.ema = [p.detach().clone() for p in self.net] if a.ema > 0 else []
        self.t = 0

    @torch.no_grad()
    def step(self):
        a = self.a
        self.t += 1
        lr = a.lr * min(1.0, self.t / a.lr_warmup) if a.lr_warmup > 0 else a.lr
        grads = [p.grad for p in self.net]
        b1, b2 = 0.9, 0.95
        torch._foreach_mul_(self.net, 1 - lr * a.weight_decay)
        torch._foreach_mul_(self.m, b1)
        torch._foreach_add_(self.m, grads, alpha=1 - b1)
        torch._foreach_mul_(self.v, b2)
        torch._foreach_addcmul_(self.v, grads, grads, value=1 - b2)
        bc1, bc2 = 1 - b1 ** self.t, 1 - b2 ** self.t
        for p, m, v in zip(self.net, self.m, self.v):
            p.add_(torch.atan2(m / bc1, (v / bc2).sqrt()), alpha=-lr)
        e = self.emb
        e.mul_(1 - lr * a.weight_decay).add_(torch.sign(e.grad), alpha=-lr)
        if self.ema:
            torch._foreach_mul_(self.ema, a.ema)
            torch._foreach_add_(self.ema, self.net, alpha=1 - a.ema)
        for p in self.net:
            p.grad = None
        e.grad = None


def run(variant, a, device):
    dtype = torch.bfloat16 if variant.startswith("bf16") else torch.float32
    # tf32: float32 tensors with TensorFloat-32 matmuls and convolutions, what XLA's default
    # precision does with float32 dots on Ampere and later GPUs (PyTorch's default is full f32).
    tf32 = variant.startswith("tf32")
    if device == "cuda":
        torch.backends.cuda.matmul.allow_tf32 = tf32
        torch.backends.cudnn.allow_tf32 = tf32
    torch.manual_seed(a.seed)
    model = TRM(a, dtype).to(device)
    n_params = sum(p.numel() for p in model.parameters())
    opt = Optimizer(model, a)
    fwd = model
    if variant.endswith("_compile"):
        fwd = torch.compile(model)
    B, L, S, D = a.batch, a.seq_len, a.prefix + a.seq_len, a.hidden
    gen = torch.Generator().manual_seed(a.seed)
    # Random puzzles: the content does not change the cost of a step.
    n_puzzles = max(a.batch, 1)
    pool_labels = torch.randint(2, a.vocab, (n_puzzles, L), generator=gen, dtype=torch.int32)
    blank = torch.rand((n_puzzles, L), generator=gen) < 0.5
    pool_inputs = torch.where(blank, torch.ones_like(pool_labels), pool_labels)
    inputs = pool_inputs[:B].clone()
    labels = pool_labels[:B].clone()
    ids = torch.zeros(B, dtype=torch.long)
    slot_steps = torch.zeros(B, dtype=torch.int32)
    reset = torch.ones(B, dtype=torch.bool)
    next_puzzle = B % n_puzzles
    z_H = torch.zeros(B, S, D, dtype=dtype, device=device)
    z_L = torch.zeros(B, S, D, dtype=dtype, device=device)
    rss0 = status_mb("VmRSS")
    if device == "cuda":
        torch.cuda.synchronize()
        torch.cuda.reset_peak_memory_stats()
    times, losses = [], []

    def one_step():
        nonlocal z_H, z_L, reset, next_puzzle, slot_steps
        x_in = inputs.to(device, non_blocking=True)
        y_in = labels.to(device, non_blocking=True)
        z_H, z_L, logits, q_halt, _ = fwd(z_H, z_L, reset.to(device), x_in, ids.to(device))
        loss, exact = loss_fn(logits, q_halt, y_in)
        loss.backward()
        opt.step()
        q_h, loss_h = q_halt.detach().cpu(), loss.item()
        _ = exact.cpu()
        if device == "cuda":
            torch.cuda.synchronize()
        # Halting (host), as lib/recursive's Trainer: new puzzles for halted slots.
        slot_steps += 1
        halted = (slot_steps >= a.n_sup) | (q_h > 0)
        reset = halted.clone()
        for j in torch.nonzero(halted).flatten().tolist():
            inputs[j], labels[j] = pool_inputs[next_puzzle], pool_labels[next_puzzle]
            slot_steps[j] = 0
            next_puzzle = (next_puzzle + 1) % n_puzzles
        return loss_h

    for i in range(1 + a.warmup + a.steps):
        t0 = time.perf_counter()
        loss_h = one_step()
        dt = (time.perf_counter() - t0) * 1000
        losses.append(loss_h)
        if i == 0:
            first = dt
        elif i > a.warmup:
            times.append(dt)
    med = statistics.median(times)
    res = dict(variant=variant, device=device, dtype=str(dtype).removeprefix("torch."), torch=torch.__version__,
               threads=torch.get_num_threads(), batch=B, seq_len=L, positions=S, hidden=D, layers=a.layers,
               T=a.T, n=a.n, mixer_inter=a.mixer_inter, mlp_inter=a.mlp_inter, ema=a.ema,
               parameters=n_params, go_parameters=a.go_params,
               parameters_match=(a.go_params == 0 or a.go_params == n_params),
               warmup_steps=a.warmup, timed_steps=len(times), first_step_ms=first,
               compile_ms=max(first - med, 0), median_step_ms=med, min_step_ms=min(times),
               mean_step_ms=statistics.mean(times), steps_ms=times, puzzles_per_s=B / (med / 1000),
               loss_first=losses[0], loss_last=losses[-1], finite=all(math.isfinite(x) for x in losses))
    if device == "cuda":
        res["gpu_peak_mb"] = torch.cuda.max_memory_allocated() / 2**20
        res["gpu"] = torch.cuda.get_device_name()
    else:
        peak = status_mb("VmHWM")
        res["peak_rss_mb"] = peak
        res["peak_delta_mb"] = peak - rss0
        res["glibc_tunables"] = os.environ.get("GLIBC_TUNABLES", "")
    if a.profile_steps > 0:
        profile_kernels(one_step, a.profile_steps, device, f"{a.profile_out}.{variant}.csv")
        res["profile"] = f"{a.profile_out}.{variant}.csv"
    return res


def profile_kernels(step, steps, device, path):
    """Runs steps more training steps under torch.profiler and writes the time of each CUDA kernel
    (on CPU: each operator's own time) as the CSV Nsight Compute writes with --csv --metrics
    gpu__time_duration.sum (one row per launch, at the kernel's mean duration), for cmd/kernels."""
    from torch.profiler import ProfilerActivity, profile
    acts = [ProfilerActivity.CPU] + ([ProfilerActivity.CUDA] if device == "cuda" else [])
    with profile(activities=acts) as prof:
        for _ in range(steps):
            step()
        if device == "cuda":
            torch.cuda.synchronize()
    with open(path, "w", newline="") as f:
        w = csv.writer(f, quoting=csv.QUOTE_ALL)
        w.writerow(["Kernel Name", "Metric Name", "Metric Unit", "Metric Value"])
        for e in prof.key_averages():
            if device == "cuda":
                if e.device_type != torch.autograd.DeviceType.CUDA:
                    continue
                total = getattr(e, "device_time_total", None)
                if total is None:
                    total = e.cuda_time_total
            else:
                total = e.self_cpu_time_total
            if total <= 0 or e.count == 0:
                continue
            for _ in range(e.count):
                w.writerow([e.key, "gpu__time_duration.sum", "usecond", f"{total / e.count:.3f}"])


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--batch", type=int, default=32)
    p.add_argument("--seq-len", type=int, default=81)
    p.add_argument("--vocab", type=int, default=11)
    p.add_argument("--hidden", type=int, default=512)
    p.add_argument("--layers", type=int, default=2)
    p.add_argument("--T", type=int, default=3)
    p.add_argument("--n", type=int, default=6)
    p.add_argument("--prefix", type=int, default=16)
    p.add_argument("--num-ids", type=int, default=1)
    p.add_argument("--mixer-inter", type=int, default=264, help="token-mixer SwiGLU width (lib/recursive/blocks: 264 for S=97; reference: 512)")
    p.add_argument("--mlp-inter", type=int, default=1536)
    p.add_argument("--norm-eps", type=float, default=1e-5)
    p.add_argument("--n-sup", type=int, default=16)
    p.add_argument("--ema", type=float, default=0.999)
    p.add_argument("--lr", type=float, default=1e-4)
    p.add_argument("--lr-warmup", type=int, default=2000)
    p.add_argument("--weight-decay", type=float, default=1.0)
    p.add_argument("--steps", type=int, default=10)
    p.add_argument("--warmup", type=int, default=2)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--go-params", type=int, default=0, help="the GoMLX model's parameter count, to compare")
    p.add_argument("--threads", type=int, default=2, help="CPU threads (torch.set_num_threads)")
    p.add_argument("--device", default="cpu")
    p.add_argument("--profile-steps", type=int, default=0,
                   help="after the timed steps, profile this many more (torch.profiler) into PROFILE_OUT.<variant>.csv")
    p.add_argument("--profile-out", default="torch-kernels", help="path prefix of the profiles")
    p.add_argument("--variants", default="", help="comma-separated: f32, tf32, bf16, f32_compile, tf32_compile, bf16_compile "
                   "(default: f32 on CPU; f32,bf16,f32_compile,bf16_compile on CUDA with torch 2)")
    a = p.parse_args()
    if a.device == "cpu":
        torch.set_num_threads(a.threads)
    variants = a.variants.split(",") if a.variants else ["f32"]
    if not a.variants and a.device == "cuda":
        variants = ["f32", "bf16"]
        if hasattr(torch, "compile"):
            variants += ["f32_compile", "bf16_compile"]
    for v in variants:
        try:
            res = run(v, a, a.device)
        except Exception as e:  # e.g. out of memory, no torch.compile
            res = dict(variant=v, device=a.device, error=f"{type(e).__name__}: {str(e)[:300]}")
        if a.device == "cuda":
            torch.cuda.empty_cache()
        print("RESULT " + json.dumps(res), flush=True)


if __name__ == "__main__":
    main()
