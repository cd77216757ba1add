#!/usr/bin/python3
"""Peers of the Java memory-bandwidth probe (`omnigen2 bench kernels --only bandwidth`): how fast numpy and
OpenBLAS read a buffer far larger than the L3 cache, on the same thread count.

    /usr/bin/python3 bench/peers/bandwidth_peers.py --threads 2 [--gib 1] [--seconds 3] [--json]

Readers (each over buffers of --gib GiB in total, so nothing is served from the 32 MB L3):
  numpy-sum       np.add.reduce of a float32 array (one thread: numpy does not thread reductions)
  openblas-sgemv  y = W·x with W float32 [N, 2048] of --gib GiB (the M=1 product itself, every thread)
  openblas-sgemv-11008  the issue's decode shape K=2048 N=11008 in F32 (90 MB), cycling over enough copies to make
                  --gib GiB, so every call reads from memory (one copy alone would be partly served by L3)
GB/s counts the bytes of the buffer read once per pass. OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE are dropped so
OpenBLAS picks its kernel for the real CPU.
"""
import argparse
import json
import os
import sys
import time


def best_and_median(fn, seconds):
    fn()
    times = []
    end = time.perf_counter() + seconds
    while True:
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
        if time.perf_counter() >= end and len(times) >= 3:
            break
    times.sort()
    return times[0], times[len(times) // 2]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--gib", type=float, default=1.0)
    ap.add_argument("--seconds", type=float, default=3.0)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    for var in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE"):
        os.environ.pop(var, None)
    os.environ["OPENBLAS_NUM_THREADS"] = str(args.threads)
    os.environ["OMP_NUM_THREADS"] = str(args.threads)
    import numpy as np
    try:
        import threadpoolctl
        threadpoolctl.threadpool_limits(args.threads)
        info = [{k: lib.get(k) for k in ("internal_api", "version", "architecture", "num_threads")}
                for lib in threadpoolctl.threadpool_info()]
    except ImportError:
        info = []
    print(json.dumps({"numpy": np.__version__, "blas": info}), file=sys.stderr if args.json else sys.stdout)

    total = int(args.gib * (1 << 30))
    results = []

    def report(kernel, shape, threads, nbytes, times):
        best, median = times
        r = {"kernel": kernel, "shape": shape, "threads": threads, "gflops": 0.0,
             "gbps": round(nbytes / median / 1e9, 2), "gbps_best": round(nbytes / best / 1e9, 2)}
        results.append(r)
        if not args.json:
            print(f"{kernel:22s} {shape:34s} threads {threads}  median {r['gbps']:6.1f} GB/s  best {r['gbps_best']:6.1f} GB/s",
                  flush=True)

    a = np.ones(total // 4, np.float32)
    report("numpy-sum", f"{total / 2**30:.2f} GiB f32", 1, a.nbytes, best_and_median(lambda: np.add.reduce(a), args.seconds))
    del a

    k = 2048
    w = np.ones((total // (4 * k), k), np.float32)
    x = np.ones(k, np.float32)
    y = np.empty(w.shape[0], np.float32)
    report("openblas-sgemv", f"M=1 K={k} N={w.shape[0]}", args.threads, w.nbytes,
           best_and_median(lambda: np.dot(w, x, out=y), args.seconds))
    del w, y

    n = 11008
    copies = max(1, total // (4 * k * n))
    ws = [np.ones((n, k), np.float32) for _ in range(copies)]
    y = np.empty(n, np.float32)
    state = [0]

    def one():
        np.dot(ws[state[0]], x, out=y)
        state[0] = (state[0] + 1) % copies

    report("openblas-sgemv-11008", f"M=1 K={k} N={n} x{copies} copies", args.threads, ws[0].nbytes,
           best_and_median(one, args.seconds))
    report("openblas-sgemv-11008", f"M=1 K={k} N={n} one copy", args.threads, ws[0].nbytes,
           best_and_median(lambda: np.dot(ws[0], x, out=y), args.seconds))
    if args.json:
        print(json.dumps(results))


if __name__ == "__main__":
    main()
