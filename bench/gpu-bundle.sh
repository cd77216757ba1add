#!/bin/sh
# Packs the GPU check into one folder for a GPU machine that has no JDK, no Maven and no network (a rented or
# sandboxed box): a jlinked Java runtime (xz, ~21 MB), the shaded jar, TransformerTiming compiled, and
# bench/gpu/run-bundle.sh. About 28 MB in all.
#
#   bench/gpu-bundle.sh [DIR]          (default: target/gpu-bundle)
#   copy DIR to the GPU machine, then: DIR/run-bundle.sh     (see that script for what it runs and prints)
#
# The bundled runtime is for Linux x86-64, like the JDK that builds it.
set -eu
cd "$(dirname "$0")/.."
OUTDIR=${1:-target/gpu-bundle}
. ./bin/find-jdk.sh
omnigen2_find_jdk
echo "building the jar ..."
./mvnw -q package -DskipTests
rm -rf "$OUTDIR"; mkdir -p "$OUTDIR"
TMP=$(mktemp -d); trap 'rm -rf "$TMP"' EXIT
echo "linking a Java runtime ..."
# Modules: what jdeps reports for the shaded jar (java.desktop for ImageIO, java.sql and jdk.unsupported for
# Jackson, jdk.management for the memory figures) plus the Vector API.
"$JAVA_HOME/bin/jlink" --add-modules java.base,java.desktop,java.logging,java.sql,jdk.incubator.vector,jdk.management,jdk.unsupported \
  --strip-debug --no-header-files --no-man-pages --output "$TMP/jre"
(cd "$TMP" && tar -cf - jre | xz -T0 -9) >"$OUTDIR/jre.tar.xz"
cp cli/target/omnigen2.jar "$OUTDIR/"
"$JAVA_HOME/bin/javac" --add-modules jdk.incubator.vector -nowarn -cp cli/target/omnigen2.jar -d "$OUTDIR" \
  bench/gpu/TransformerTiming.java 2>&1 | grep -v 'incubator' || true
cp bench/gpu/run-bundle.sh "$OUTDIR/"
du -sh "$OUTDIR"
