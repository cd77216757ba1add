#!/usr/bin/python3
"""PyTorch CPU peer of QwenBench's prefill: the Qwen2.5-VL-3B text decoder at the real text config, random weights,
one text-only prompt (M-RoPE with equal t/h/w positions is plain RoPE), hidden states after the final norm (what
OmniGen2 conditions on; no logits, as in the Java encode path).

    flock /tmp/omnigen2-bench.lock /usr/bin/python3 bench/peers/qwen_prefill_peer.py --dtype bf16 --tokens 120

Written in plain torch (transformers is not installable here) from the math in testdata/golden/qwen25vl/README.md:
pre-norm layers, RMSNorm (float32 variance), q/k/v projections with biases, rotate-half RoPE (theta 1e6), GQA
(16 query heads over 2 KV heads), causal softmax attention, o_proj without bias, SwiGLU MLP, final RMSNorm.
Weights are stored in --dtype (bf16 or fp32) and the activations run in that dtype, as transformers does with
torch_dtype. Debian's torch 1.13 (/usr/bin/python3). Prints one JSON line per round and a summary line.
"""
import argparse
import json
import math
import os
import time

import torch

CONFIG = dict(hidden=2048, intermediate=11008, layers=36, heads=16, kv_heads=2, vocab=151936, theta=1e6, eps=1e-6)


def rms_norm(x, w, eps):
    dtype = x.dtype
    x = x.float()
    x = x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + eps)
    return w * x.to(dtype)


def rotate_half(x):
    half = x.shape[-1] // 2
    return torch.cat((-x[..., half:], x[..., :half]), dim=-1)


class Layer:
    def __init__(self, c, dtype, gen):
        d, f, hd = c["hidden"], c["intermediate"], c["hidden"] // c["heads"]
        q, kv = c["heads"] * hd, c["kv_heads"] * hd

        def lin(n, k):
            return (torch.randn(n, k, generator=gen) / math.sqrt(k)).to(dtype)

        self.wq, self.bq = lin(q, d), (torch.randn(q, generator=gen) * 0.02).to(dtype)
        self.wk, self.bk = lin(kv, d), (torch.randn(kv, generator=gen) * 0.02).to(dtype)
        self.wv, self.bv = lin(kv, d), (torch.randn(kv, generator=gen) * 0.02).to(dtype)
        self.wo = lin(d, q)
        self.gate, self.up, self.down = lin(f, d), lin(f, d), lin(d, f)
        self.n1 = torch.ones(d, dtype=dtype)
        self.n2 = torch.ones(d, dtype=dtype)


def forward(c, embed, layers, final_norm, ids, cos, sin):
    heads, kvh = c["heads"], c["kv_heads"]
    hd = c["hidden"] // heads
    L = ids.shape[0]
    x = embed[ids]
    causal = torch.full((L, L), float("-inf")).triu(1)
    for i in range(c["layers"]):
        w = layers[i % len(layers)]
        h = rms_norm(x, w.n1, c["eps"])
        q = torch.nn.functional.linear(h, w.wq, w.bq).view(L, heads, hd).transpose(0, 1)
        k = torch.nn.functional.linear(h, w.wk, w.bk).view(L, kvh, hd).transpose(0, 1)
        v = torch.nn.functional.linear(h, w.wv, w.bv).view(L, kvh, hd).transpose(0, 1)
        q = q * cos + rotate_half(q) * sin
        k = k * cos + rotate_half(k) * sin
        k = k.repeat_interleave(heads // kvh, dim=0)
        v = v.repeat_interleave(heads // kvh, dim=0)
        scores = torch.matmul(q, k.transpose(1, 2)) / math.sqrt(hd) + causal.to(q.dtype)
        p = torch.softmax(scores.float(), dim=-1).to(q.dtype)
        o = torch.matmul(p, v).transpose(0, 1).reshape(L, heads * hd)
        x = x + torch.nn.functional.linear(o, w.wo)
        h = rms_norm(x, w.n2, c["eps"])
        g = torch.nn.functional.linear(h, w.gate)
        u = torch.nn.functional.linear(h, w.up)
        x = x + torch.nn.functional.linear(torch.nn.functional.silu(g) * u, w.down)
    return rms_norm(x, final_norm, c["eps"])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--dtype", choices=["bf16", "fp32"], default="bf16")
    ap.add_argument("--tokens", type=int, default=120)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--distinct-layers", type=int, default=CONFIG["layers"],
                    help="layers with their own weights; the 36 layers cycle over them (less memory, same work)")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    dtype = torch.bfloat16 if a.dtype == "bf16" else torch.float32
    c = CONFIG
    gen = torch.Generator().manual_seed(0)
    t0 = time.time()
    embed = (torch.randn(c["vocab"], c["hidden"], generator=gen) * 0.05).to(dtype)
    layers = [Layer(c, dtype, gen) for _ in range(a.distinct_layers)]
    final_norm = torch.ones(c["hidden"], dtype=dtype)
    init_s = time.time() - t0
    hd = c["hidden"] // c["heads"]
    inv = 1.0 / (c["theta"] ** (torch.arange(0, hd, 2, dtype=torch.float32) / hd))
    pos = torch.arange(a.tokens, dtype=torch.float32)
    ang = torch.outer(pos, inv)
    ang = torch.cat((ang, ang), dim=-1)
    cos, sin = ang.cos().to(dtype), ang.sin().to(dtype)
    ids = torch.randint(0, 151643, (a.tokens,), generator=gen)
    times = []
    with torch.inference_mode():
        for r in range(a.rounds + 1):
            start, cpu0 = time.perf_counter(), time.process_time()
            out = forward(c, embed, layers, final_norm, ids, cos, sin)
            s, cpu = time.perf_counter() - start, time.process_time() - cpu0
            load = os.getloadavg()
            print(json.dumps(dict(impl="torch", dtype=a.dtype, round=r, warmup=r == 0, tokens=a.tokens, seconds=round(s, 3),
                                  tokens_per_s=round(a.tokens / s, 2), cpu_s=round(cpu, 2),
                                  tokens_per_cpu_s=round(a.tokens / cpu, 2), load=[round(x, 2) for x in load],
                                  finite=bool(torch.isfinite(out).all()))), flush=True)
            if r > 0:
                times.append(s)
    times.sort()
    print(json.dumps(dict(impl="torch", dtype=a.dtype, summary=True, torch=torch.__version__, threads=a.threads,
                          distinct_layers=a.distinct_layers, init_s=round(init_s, 1), median_s=times[len(times) // 2],
                          tokens_per_s=round(a.tokens / times[len(times) // 2], 2))), flush=True)


if __name__ == "__main__":
    main()
