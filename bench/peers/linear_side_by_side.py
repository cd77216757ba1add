#!/usr/bin/python3
"""The Java linear kernel and its peers, shape by shape, alternating, for several rounds (the machine may be busy:
alternating spreads the noise over all contenders, and the median over rounds damps it).

    /usr/bin/python3 bench/peers/linear_side_by_side.py --threads 2 --rounds 3 --seconds 3

Needs runtime/target/classes built (./mvnw -o -q -pl runtime -am install -DskipTests, or compile) and a JDK 22+
(JAVA env var, else /usr/lib/jvm/*25*/bin/java); CLASSES overrides the class folder. Prints a Markdown table.
"""
import argparse
import glob
import json
import os
import statistics
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
SHAPES = ["M=4096 K=2520 N=2520", "M=4096 K=2520 N=10240", "M=4096 K=10240 N=2520", "M=128 K=2048 N=11008",
          "M=1 K=2048 N=11008"]


def java_bin():
    if os.environ.get("JAVA"):
        return os.environ["JAVA"]
    for cand in sorted(glob.glob("/usr/lib/jvm/*25*/bin/java")) + sorted(glob.glob("/usr/lib/jvm/*/bin/java")):
        return cand
    return "java"


def run_json(cmd, env=None):
    out = subprocess.run(cmd, capture_output=True, text=True, env=env, check=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--seconds", type=float, default=3.0)
    ap.add_argument("--shapes", default=",".join(SHAPES), help="comma-separated shapes")
    args = ap.parse_args()
    classes = os.environ.get("CLASSES") or os.path.join(ROOT, "runtime", "target", "classes")
    java = [java_bin(), "--add-modules=jdk.incubator.vector", "-Xmx8g", "-cp", classes, "dev.omnigen2.runtime.KernelBench"]
    peers = [sys.executable, os.path.join(HERE, "gemm_peers.py")]
    samples = {}
    for rnd in range(args.rounds):
        for shape in args.shapes.split(","):
            common = ["--threads", str(args.threads), "--seconds", str(args.seconds), "--shape", shape, "--json"]
            rows = run_json(java + common + ["--only", "linear-bf16,linear-f32"])
            rows += run_json(peers + common)
            for r in rows:
                samples.setdefault((shape, r["kernel"]), []).append(r)
                print(f"round {rnd + 1} {r['kernel']:12s} {shape:24s} {r['gflops']:8.1f} GFLOP/s {r['gbps']:7.2f} GB/s",
                      file=sys.stderr, flush=True)
    kernels = ["linear-bf16", "linear-f32", "numpy-sgemm", "torch-fp32", "torch-bf16"]
    print(f"threads {args.threads}, median of {args.rounds} rounds, GFLOP/s (GB/s for M=1)\n")
    print("| shape | " + " | ".join(kernels) + " | bf16 / OpenBLAS | bf16 / torch fp32 | bf16 / torch bf16 |")
    print("|" + "---|" * (len(kernels) + 4))
    for shape in args.shapes.split(","):
        med = {}
        for k in kernels:
            rs = samples.get((shape, k), [])
            key = "gbps" if shape.startswith("M=1 ") else "gflops"
            med[k] = statistics.median(r[key] for r in rs) if rs else float("nan")
        ratio = lambda a, b: f"{med[a] / med[b]:.2f}" if med[b] else "-"
        print(f"| {shape} | " + " | ".join(f"{med[k]:.1f}" for k in kernels)
              + f" | {ratio('linear-bf16', 'numpy-sgemm')} | {ratio('linear-bf16', 'torch-fp32')} | {ratio('linear-bf16', 'torch-bf16')} |")


if __name__ == "__main__":
    main()
