#!/usr/bin/env python3
"""PyTorch CPU peer for TransformerBench: one OmniGen2 main-layer block of the real dimensions.

Written from the block description of testdata/golden/omnigen2-transformer/README.md (not upstream code):
  h = RMSNorm(x; norm1) * (1 + scale_msa)
  q, k, v = h Wq^T, h Wk^T, h Wv^T   (21 query heads, 7 KV heads, head dim 120, no bias)
  q, k = RMSNorm per head (eps 1e-5), rotary on interleaved pairs, attention (GQA, no mask), to_out
  x = x + tanh(gate_msa) * RMSNorm(attn; norm2)
  m = W2 (silu(W1 g) * W3 g),  g = RMSNorm(x; ffn_norm1) * (1 + scale_mlp)
  x = x + tanh(gate_mlp) * RMSNorm(m; ffn_norm2)
PyTorch 1.13 has no scaled_dot_product_attention: attention is matmul + softmax + matmul over the full
[heads, L, L] score matrix, as the issue's reference measurement did.

usage: /usr/bin/python3 bench/peers/transformer_block_peer.py [--tokens 4352] [--threads 2] [--reps 2] [--dtypes fp32,bf16]
"""
import argparse
import math
import os
import time

import torch

HIDDEN, HEADS, KV_HEADS, HEAD_DIM, FFN, TEMB = 2520, 21, 7, 120, 10240, 1024
EPS = 1e-5


def rms_norm(x, w, eps=EPS):
    var = x.float().pow(2).mean(-1, keepdim=True)
    return (x.float() * torch.rsqrt(var + eps)).to(x.dtype) * w


class Block:
    def __init__(self, dtype, gen):
        def lin(o, i):
            return (torch.randn(o, i, generator=gen) / math.sqrt(i)).to(dtype)

        self.dtype = dtype
        self.ada = lin(4 * HIDDEN, TEMB)
        self.ada_b = torch.zeros(4 * HIDDEN, dtype=dtype)
        self.wq, self.wk, self.wv = lin(HEADS * HEAD_DIM, HIDDEN), lin(KV_HEADS * HEAD_DIM, HIDDEN), lin(KV_HEADS * HEAD_DIM, HIDDEN)
        self.wo = lin(HIDDEN, HEADS * HEAD_DIM)
        self.w1, self.w3, self.w2 = lin(FFN, HIDDEN), lin(FFN, HIDDEN), lin(HIDDEN, FFN)
        ones = lambda n: torch.ones(n, dtype=dtype)
        self.norm1, self.norm2, self.ffn_norm1, self.ffn_norm2 = ones(HIDDEN), ones(HIDDEN), ones(HIDDEN), ones(HIDDEN)
        self.norm_q, self.norm_k = ones(HEAD_DIM), ones(HEAD_DIM)

    def rope(self, x, cos, sin):
        # x [L, H, hd]; pairs (2i, 2i+1) rotated by angle i
        xr = x.float().reshape(*x.shape[:-1], -1, 2)
        a, b = xr[..., 0], xr[..., 1]
        c, s = cos[:, None, :], sin[:, None, :]
        return torch.stack((a * c - b * s, a * s + b * c), -1).flatten(-2).to(x.dtype)

    def forward(self, x, temb, cos, sin, times):
        t0 = time.perf_counter()
        L = x.shape[0]
        mod = torch.nn.functional.linear(torch.nn.functional.silu(temb), self.ada, self.ada_b)
        scale_msa, gate_msa, scale_mlp, gate_mlp = mod.chunk(4, dim=-1)
        h = rms_norm(x, self.norm1) * (1 + scale_msa)
        q = torch.nn.functional.linear(h, self.wq).view(L, HEADS, HEAD_DIM)
        k = torch.nn.functional.linear(h, self.wk).view(L, KV_HEADS, HEAD_DIM)
        v = torch.nn.functional.linear(h, self.wv).view(L, KV_HEADS, HEAD_DIM)
        q = self.rope(rms_norm(q, self.norm_q), cos, sin)
        k = self.rope(rms_norm(k, self.norm_k), cos, sin)
        t1 = time.perf_counter()
        rep = HEADS // KV_HEADS
        qh = q.transpose(0, 1)
        kh = k.transpose(0, 1).repeat_interleave(rep, 0)
        vh = v.transpose(0, 1).repeat_interleave(rep, 0)
        scores = torch.matmul(qh, kh.transpose(1, 2)) * (1.0 / math.sqrt(HEAD_DIM))
        attn = torch.matmul(torch.softmax(scores.float(), -1).to(x.dtype), vh)
        attn = attn.transpose(0, 1).reshape(L, HEADS * HEAD_DIM)
        t2 = time.perf_counter()
        attn = torch.nn.functional.linear(attn, self.wo)
        x = x + torch.tanh(gate_msa) * rms_norm(attn, self.norm2)
        g = rms_norm(x, self.ffn_norm1) * (1 + scale_mlp)
        m = torch.nn.functional.linear(
            torch.nn.functional.silu(torch.nn.functional.linear(g, self.w1)) * torch.nn.functional.linear(g, self.w3), self.w2)
        x = x + torch.tanh(gate_mlp) * rms_norm(m, self.ffn_norm2)
        t3 = time.perf_counter()
        times.append((t3 - t0, t2 - t1))
        return x


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--tokens", type=int, default=4352)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--reps", type=int, default=2)
    ap.add_argument("--dtypes", default="fp32,bf16")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    print(f"torch {torch.__version__}, threads {torch.get_num_threads()}, tokens {a.tokens}, load average {os.getloadavg()}")
    L = a.tokens
    flops = 2 * L * (HIDDEN * (HEADS + 2 * KV_HEADS) * HEAD_DIM + HEADS * HEAD_DIM * HIDDEN + 3 * HIDDEN * FFN) \
        + 4 * HEADS * L * L * HEAD_DIM
    for name in a.dtypes.split(","):
        dtype = {"fp32": torch.float32, "bf16": torch.bfloat16}[name]
        gen = torch.Generator().manual_seed(0)
        blk = Block(dtype, gen)
        x = torch.randn(L, HIDDEN, generator=gen).to(dtype)
        temb = torch.randn(1, TEMB, generator=gen).to(dtype)
        ang = torch.rand(L, HEAD_DIM // 2, generator=gen) * 6.28
        cos, sin = torch.cos(ang), torch.sin(ang)
        with torch.no_grad():
            times = []
            blk.forward(x, temb, cos, sin, times)  # warm-up
            times.clear()
            cpu0 = time.process_time()
            for _ in range(a.reps):
                blk.forward(x, temb, cos, sin, times)
            cpu = (time.process_time() - cpu0) / a.reps
        best = min(t for t, _ in times)
        att = min(t for _, t in times)
        print(f"pytorch {name}: one block at {L} tokens {best:.3f} s (best of {a.reps}; attention core {att:.3f} s); "
              f"{flops / best / 1e9:.1f} GFLOP/s; CPU/wall {cpu / (sum(t for t, _ in times) / len(times)):.2f}; "
              f"load average {os.getloadavg()}")


if __name__ == "__main__":
    main()
