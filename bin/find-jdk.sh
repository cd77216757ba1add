# Sourced by ./mvnw and bin/omnigen2 (POSIX sh). Sets JAVA_HOME to a JDK >= 22:
# JAVA_HOME when it is new enough, else the newest JDK found in the usual places.
# Prints one line naming what to install when there is none.

omnigen2_java_major() { # $1 = java home; prints the feature version or nothing
  [ -x "$1/bin/java" ] || return 0
  if [ -f "$1/release" ]; then
    v=$(sed -n 's/^JAVA_VERSION="\([0-9]*\).*/\1/p' "$1/release" 2>/dev/null | head -n 1)
    [ -n "$v" ] && { echo "$v"; return 0; }
  fi
  "$1/bin/java" -version 2>&1 | sed -n 's/.*version "\([0-9]*\).*/\1/p' | head -n 1
}

omnigen2_find_jdk() {
  _h=$(omnigen2_jdk_home) || return 1
  JAVA_HOME="$_h"; export JAVA_HOME
}

omnigen2_jdk_home() ( # subshell: globbing may be off in the caller (mvnw runs set -f)
  set +f
  if [ -n "${JAVA_HOME-}" ]; then
    v=$(omnigen2_java_major "$JAVA_HOME")
    if [ -n "$v" ] && [ "$v" -ge 22 ] && { [ -x "$JAVA_HOME/bin/javac" ] || [ "${OMNIGEN2_JRE_OK-}" = 1 ]; }; then echo "$JAVA_HOME"; return 0; fi
  fi
  best=""; best_v=0
  for d in /usr/lib/jvm/* "$HOME"/.sdkman/candidates/java/* "$HOME"/.jdks/* /Library/Java/JavaVirtualMachines/*/Contents/Home /opt/java/* /usr/local/opt/openjdk*/libexec/openjdk.jdk/Contents/Home; do
    [ -d "$d" ] || continue
    [ -L "$d" ] && continue
    v=$(omnigen2_java_major "$d")
    [ -n "$v" ] || continue
    if [ "$v" -ge 22 ] && [ "$v" -gt "$best_v" ] && { [ -x "$d/bin/javac" ] || [ "${OMNIGEN2_JRE_OK-}" = 1 ]; }; then best="$d"; best_v=$v; fi
  done
  if [ -n "$best" ]; then echo "$best"; return 0; fi
  if command -v java >/dev/null 2>&1; then
    h=$(cd "$(dirname "$(readlink -f "$(command -v java)")")/.." && pwd)
    v=$(omnigen2_java_major "$h")
    if [ -n "$v" ] && [ "$v" -ge 22 ]; then echo "$h"; return 0; fi
  fi
  echo "error: omnigen2-java needs a JDK 22 or newer and found none (JAVA_HOME, /usr/lib/jvm, ~/.sdkman, ~/.jdks); install one, e.g. 'apt-get install openjdk-25-jdk-headless' or Temurin 25 from adoptium.net, or set JAVA_HOME to it." >&2
  return 1
)
