#!/bin/bash
# The GPU check from a bundle made by bench/gpu-bundle.sh, on a machine with no JDK, Maven or network:
#
#   BUNDLE/run-bundle.sh            (env: OUT=folder for log.txt (default /tmp/omnigen2-gpu), SIZE=1024, CPU=1 to
#                                    also time the CPU forward, KEEP=1 to keep the synthetic checkpoint)
#
# 1. the machine (GPU, driver, cores, memory) and `omnigen2 doctor`; when discovery finds no cuBLAS, the first
#    libcublas.so.13/.12 on the disk is passed as -Domnigen2.cuda.lib;
# 2. GpuCheck: every product of the transformer and Qwen2.5-VL-3B on cuBLAS against the CPU kernel, then timings;
# 3. a synthetic checkpoint of the real sizes (`synth --preset full --zeros`: sparse, instant) and one transformer
#    forward at SIZE² on cuda (first call uploads the weights; then steady), and on cpu with CPU=1;
# 4. `omnigen2 bench pipeline --device cuda` at 512² and SIZE² (text encoding, steps, VAE decode, peak RSS).
set -u
D=$(cd "$(dirname "$0")" && pwd)
OUT=${OUT:-/tmp/omnigen2-gpu}; mkdir -p "$OUT"
SIZE=${SIZE:-1024}
exec > >(tee "$OUT/log.txt") 2>&1
T0=$(date +%s); stage() { echo "--- [$(( $(date +%s) - T0 )) s] $*"; }
JRE=$(mktemp -d); CKPT=$(mktemp -d)
trap 'rm -rf "$JRE"; [ -n "${KEEP:-}" ] || rm -rf "$CKPT"' EXIT
tar -xJf "$D/jre.tar.xz" -C "$JRE"
JAVA="$JRE/jre/bin/java"
JVM="--enable-native-access=ALL-UNNAMED --add-modules=jdk.incubator.vector -Xmx48g"
JAR="$D/omnigen2.jar"

stage machine
nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.max.sm --format=csv,noheader 2>&1
echo "cores: $(nproc)"; free -g | head -2
DOCTOR=$($JAVA $JVM -jar "$JAR" doctor 2>&1 | grep -v '^WARNING: Using incubator'); echo "$DOCTOR"
if echo "$DOCTOR" | grep -q 'gpu:.*unavailable'; then
  LIB=$(find / -xdev \( -name 'libcublas.so.13' -o -name 'libcublas.so.12' \) -not -path '/proc/*' 2>/dev/null | head -n 1)
  [ -n "$LIB" ] && { JVM="$JVM -Domnigen2.cuda.lib=$(dirname "$LIB")"; echo "trying -Domnigen2.cuda.lib=$(dirname "$LIB")"; }
fi

stage GpuCheck
timeout 300 $JAVA $JVM -cp "$JAR" dev.omnigen2.runtime.cuda.GpuCheck; STATUS=$?
echo "GpuCheck exit $STATUS"
[ "$STATUS" -eq 2 ] && { stage "no CUDA here: stop"; exit 2; }

stage "synthetic checkpoint"
$JAVA $JVM -jar "$JAR" synth "$CKPT/full" --preset full --zeros 2>&1 | tail -n 1
DEVICES=cuda; [ -n "${CPU:-}" ] && DEVICES=cuda,cpu
stage "transformer forward at ${SIZE}² ($DEVICES)"
timeout 600 $JAVA $JVM -cp "$JAR:$D" TransformerTiming "$CKPT/full/transformer" "$SIZE" "$DEVICES"
stage "bench pipeline --device cuda"
timeout 600 $JAVA $JVM -jar "$JAR" bench pipeline -m "$CKPT/full" --device cuda --sizes "512,$SIZE" --steps 2 -v
stage done
exit "$STATUS"
