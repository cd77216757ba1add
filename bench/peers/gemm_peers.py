#!/usr/bin/python3
"""Peers of the Java linear kernel on the same shapes and thread count: numpy's sgemm (OpenBLAS) and PyTorch CPU
linear in fp32 and bf16.

Run with Debian's python (apt-get install python3-numpy python3-torch libopenblas0-pthread python3-threadpoolctl):

    /usr/bin/python3 bench/peers/gemm_peers.py --threads 2 [--seconds 3] [--json]

OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE are removed from this process's environment before numpy loads (so OpenBLAS
picks its kernel for the real CPU); pass --keep-openblas-env to keep them. Output: one line per peer and shape, or
with --json the same records as the Java KernelBench: [{"kernel", "shape", "threads", "gflops", "gbps"}].
"""
import argparse
import json
import os
import sys
import time

SHAPES = [(4096, 2520, 2520), (4096, 2520, 10240), (4096, 10240, 2520), (128, 2048, 11008), (1, 2048, 11008)]


def measure(fn, seconds):
    """Median seconds of the timed runs after one warm-up run (at least one timed run)."""
    fn()
    times = []
    end = time.perf_counter() + seconds
    while True:
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
        if time.perf_counter() >= end:
            break
    times.sort()
    return times[len(times) // 2]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--seconds", type=float, default=3.0)
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--only", default="numpy-sgemm,torch-fp32,torch-bf16", help="comma-separated peers")
    ap.add_argument("--shape", help='only this shape, e.g. "M=1 K=2048 N=11008"')
    ap.add_argument("--keep-openblas-env", action="store_true")
    args = ap.parse_args()
    if not args.keep_openblas_env:
        for var in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE"):
            os.environ.pop(var, None)
    os.environ["OPENBLAS_NUM_THREADS"] = str(args.threads)
    os.environ["OMP_NUM_THREADS"] = str(args.threads)

    import numpy as np
    import torch
    torch.set_num_threads(args.threads)
    info = []
    try:
        import threadpoolctl
        threadpoolctl.threadpool_limits(args.threads)
        for lib in threadpoolctl.threadpool_info():
            info.append({k: lib.get(k) for k in ("internal_api", "version", "architecture", "threading_layer", "num_threads")})
    except ImportError:
        np.show_config()
    header = {"numpy": np.__version__, "torch": torch.__version__, "torch_threads": torch.get_num_threads(),
              "torch_config": [l.strip() for l in torch.__config__.show().splitlines() if "CPU capability" in l or "MKL-DNN" in l],
              "blas": info}
    print(json.dumps(header), file=sys.stderr if args.json else sys.stdout)

    peers = args.only.split(",")
    results = []
    rng = np.random.default_rng(0)
    for m, k, n in SHAPES:
        shape = f"M={m} K={k} N={n}"
        if args.shape and args.shape != shape:
            continue
        x = rng.uniform(-1, 1, (m, k)).astype(np.float32)
        w = rng.uniform(-1, 1, (n, k)).astype(np.float32)
        flops = 2.0 * m * k * n
        for peer in peers:
            if peer == "numpy-sgemm":
                y = np.empty((m, n), np.float32)
                wt = w.T
                sec = measure(lambda: np.matmul(x, wt, out=y), args.seconds)
                wbytes = 4
            elif peer == "torch-fp32":
                xt, wt_ = torch.from_numpy(x), torch.from_numpy(w)
                with torch.inference_mode():
                    sec = measure(lambda: torch.nn.functional.linear(xt, wt_), args.seconds)
                wbytes = 4
            elif peer == "torch-bf16":
                xt, wt_ = torch.from_numpy(x).bfloat16(), torch.from_numpy(w).bfloat16()
                with torch.inference_mode():
                    sec = measure(lambda: torch.nn.functional.linear(xt, wt_), args.seconds)
                wbytes = 2
            else:
                raise SystemExit(f"unknown peer {peer}")
            nbytes = n * k * wbytes + 4.0 * m * k + 4.0 * m * n
            r = {"kernel": peer, "shape": shape, "threads": args.threads,
                 "gflops": round(flops / sec / 1e9, 2), "gbps": round(nbytes / sec / 1e9, 2)}
            results.append(r)
            if not args.json:
                print(f"{peer:12s} {shape:36s} threads {args.threads}  {r['gflops']:8.1f} GFLOP/s  {r['gbps']:7.2f} GB/s",
                      flush=True)
    if args.json:
        print(json.dumps(results))


if __name__ == "__main__":
    main()
