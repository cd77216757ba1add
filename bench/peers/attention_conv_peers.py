#!/usr/bin/env python3
"""PyTorch CPU peers for the attention and convolution shapes of issue 3 (fp32, same thread count).

Shapes: attention 21 heads x 4352 tokens x hd 120 bidirectional with 7 KV heads (OmniGen2 transformer),
16 heads x 1024 tokens x hd 128 causal with 2 KV heads (Qwen2.5-VL text tower); conv2d 128->128 3x3 on 512x512
(Flux VAE). Attention uses scaled_dot_product_attention where torch has it (>= 2.0), else the explicit
softmax(QK^T)V that torch 1.13 (Debian bookworm's python3-torch) runs; KV heads are repeated for GQA.

    python3 bench/peers/attention_conv_peers.py [--threads 2] [--reps 3]
"""
import argparse
import json
import time

import torch
import torch.nn.functional as F


def best_of(fn, reps):
    """Best wall seconds and best process CPU seconds (all threads) over reps runs after a warm-up.
    CPU seconds tell own speed apart from time lost to other processes on a shared machine."""
    fn()  # warm-up
    best, best_cpu = float("inf"), float("inf")
    for _ in range(reps):
        t0, c0 = time.perf_counter(), time.process_time()
        fn()
        best = min(best, time.perf_counter() - t0)
        best_cpu = min(best_cpu, time.process_time() - c0)
    return best, best_cpu


def attention(h, kvh, l, hd, causal, reps):
    g = torch.Generator().manual_seed(0)
    q = torch.randn(1, h, l, hd, generator=g)
    k = torch.randn(1, kvh, l, hd, generator=g)
    v = torch.randn(1, kvh, l, hd, generator=g)
    scale = hd ** -0.5
    has_sdpa = hasattr(F, "scaled_dot_product_attention")

    def run():
        kk = k.repeat_interleave(h // kvh, dim=1)
        vv = v.repeat_interleave(h // kvh, dim=1)
        if has_sdpa:
            return F.scaled_dot_product_attention(q, kk, vv, is_causal=causal)
        s = torch.matmul(q, kk.transpose(-1, -2)) * scale
        if causal:
            s = s.masked_fill(torch.ones(l, l, dtype=torch.bool).triu(1), float("-inf"))
        return torch.matmul(torch.softmax(s, dim=-1), vv)

    with torch.no_grad():
        sec, cpu = best_of(run, reps)
    flops = 4.0 * h * l * l * hd * (0.5 if causal else 1.0)  # causal: useful flops only
    return {"kernel": "attention", "shape": f"{h}x{l}x{hd} kv{kvh} {'causal' if causal else 'bidirectional'}",
            "impl": "sdpa" if has_sdpa else "matmul+softmax", "seconds": sec, "gflops": flops / sec * 1e-9,
            "gflop_per_cpu_second": flops / cpu * 1e-9}


def conv(cin, cout, hw, k, reps):
    g = torch.Generator().manual_seed(1)
    x = torch.randn(1, cin, hw, hw, generator=g)
    w = torch.randn(cout, cin, k, k, generator=g) * 0.05
    b = torch.randn(cout, generator=g)
    with torch.no_grad():
        sec, cpu = best_of(lambda: F.conv2d(x, w, b, padding=k // 2), reps)
    flops = 2.0 * cout * cin * k * k * hw * hw
    return {"kernel": "conv2d", "shape": f"{cin}->{cout} {k}x{k} at {hw}x{hw}", "impl": "F.conv2d",
            "seconds": sec, "gflops": flops / sec * 1e-9, "gflop_per_cpu_second": flops / cpu * 1e-9}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--reps", type=int, default=3)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    rows = [attention(21, 7, 4352, 120, False, a.reps), attention(16, 2, 1024, 128, True, a.reps),
            conv(128, 128, 512, 3, a.reps)]
    for r in rows:
        r["threads"] = a.threads
        r["torch"] = torch.__version__
        print(json.dumps(r))


if __name__ == "__main__":
    main()
