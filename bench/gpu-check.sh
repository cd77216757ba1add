#!/bin/sh
# GPU check for the cuBLAS offload (runtime/src/main/java/dev/omnigen2/runtime/cuda). Run on a machine with an
# NVIDIA GPU and the CUDA 12 or 13 libraries (a toolkit under CUDA_HOME or /usr/local/cuda, or the
# nvidia-cublas-cu12 / nvidia-cuda-runtime-cu12 Python wheels):
#
#   bench/gpu-check.sh [--quick] [--transformer DIR] [--size 1024] [--no-cpu]
#
# 1. GEMM comparisons: the products of the transformer and of Qwen2.5-VL-3B (M = 1, 17, 333; BF16, F32 and F16
#    weights; with and without bias; both precisions) on the real cuBLAS against the CPU kernel Linear.forward,
#    each within a bound of float rounding on the inputs the GPU saw. Then GPU timings of the transformer's products
#    at 4352 rows (1024² = 4096 image tokens + text) next to the CPU kernel. Exit 1 if a comparison fails.
# 2. With --transformer DIR (a transformer/ folder of OmniGen2/OmniGen2: config.json + sharded safetensors; a
#    synthetic checkpoint of the real sizes works as well): one transformer forward at SIZE² (default 1024²) with
#    the device set to cuda, then to cpu (unless --no-cpu: the CPU forward at 1024² takes minutes), and the
#    number of GEMMs the GPU ran.
#
# This script builds with Maven. For a GPU machine with no JDK, Maven or network, bench/gpu-bundle.sh packs a small
# Java runtime, the jar and bench/gpu/run-bundle.sh into one folder to copy there instead.
#
# Extra JVM options (e.g. -Domnigen2.cuda.lib=/path, -Domnigen2.cuda.memory=40g) go in JAVA_OPTS.
set -eu
cd "$(dirname "$0")/.."
. ./bin/find-jdk.sh
omnigen2_find_jdk
JAVA="$JAVA_HOME/bin/java"
JVM="--enable-native-access=ALL-UNNAMED --add-modules=jdk.incubator.vector -Xmx64g ${JAVA_OPTS-}"

QUICK="" TRANSFORMER="" SIZE=1024 CPU=1
while [ $# -gt 0 ]; do
  case "$1" in
    --quick) QUICK=--quick ;;
    --transformer) TRANSFORMER="$2"; shift ;;
    --size) SIZE="$2"; shift ;;
    --no-cpu) CPU=0 ;;
    *) echo "usage: bench/gpu-check.sh [--quick] [--transformer DIR] [--size 1024] [--no-cpu]" >&2; exit 2 ;;
  esac
  shift
done

TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
echo "building runtime and models ..."
./mvnw -q -pl models -am package -DskipTests dependency:build-classpath \
  -Dmdep.outputFile="$TMP/classpath" -Dmdep.includeScope=runtime >"$TMP/build.log" 2>&1 \
  || { cat "$TMP/build.log"; exit 2; }
CP="$(ls models/target/models-*.jar | grep -v tests | head -n 1):$(cat "$TMP/classpath")"

echo "== GEMM comparisons and timings (nvidia-smi: $(nvidia-smi --query-gpu=name,driver_version --format=csv,noheader 2>/dev/null || echo 'not found')) =="
STATUS=0
# shellcheck disable=SC2086
"$JAVA" $JVM -cp "$CP" dev.omnigen2.runtime.cuda.GpuCheck $QUICK || STATUS=$?
[ "$STATUS" -eq 2 ] && { echo "CUDA is not available here (line above says why); nothing more to check."; exit 2; }

if [ -n "$TRANSFORMER" ]; then
  DEVICES=cuda
  [ "$CPU" = 1 ] && DEVICES=cuda,cpu
  echo "== transformer forward at ${SIZE}x${SIZE} ($TRANSFORMER) =="
  # shellcheck disable=SC2086
  "$JAVA" $JVM -cp "$CP" bench/gpu/TransformerTiming.java "$TRANSFORMER" "$SIZE" "$DEVICES"
fi
exit "$STATUS"
