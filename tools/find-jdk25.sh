# Sourced by ./ortho and .ci/run: exports JAVA_HOME pointing at a JDK 25 or newer, or fails with
# a message that says how to install or point at one. Kept POSIX-ish so both scripts can share it.

ortho_java_major() {
  # Prints the major version of the java binary given as $1 (e.g. 25), or nothing.
  "$1" -XshowSettings:properties -version 2>&1 \
    | sed -n 's/^ *java\.specification\.version = \([0-9][0-9]*\).*/\1/p' | head -n 1
}

ortho_find_jdk25() {
  if [ -n "${JAVA_HOME:-}" ] && [ -x "$JAVA_HOME/bin/javac" ]; then
    v=$(ortho_java_major "$JAVA_HOME/bin/java")
    if [ -n "$v" ] && [ "$v" -ge 25 ]; then export JAVA_HOME; return 0; fi
  fi
  for d in /usr/lib/jvm/*25* /usr/lib/jvm/*-2[6-9]* /opt/java/openjdk /usr/local/java/*25*; do
    if [ -x "$d/bin/javac" ]; then
      v=$(ortho_java_major "$d/bin/java")
      if [ -n "$v" ] && [ "$v" -ge 25 ]; then JAVA_HOME="$d"; export JAVA_HOME; return 0; fi
    fi
  done
  echo "ortho: no JDK 25 found. Install one (e.g. Temurin 25) and point JAVA_HOME at it:" >&2
  echo "       export JAVA_HOME=/usr/lib/jvm/temurin-25-jdk-amd64" >&2
  return 1
}
