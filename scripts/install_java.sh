#!/usr/bin/env bash
# Install a Java runtime for Spark (Debian's openjdk-17-jre-headless) when `java` is missing or older
# than 17. Idempotent and quiet: does nothing when a suitable Java is already on PATH.
set -euo pipefail

java_major() {
    command -v java >/dev/null 2>&1 || { echo 0; return; }
    # `java -version` prints e.g. 'openjdk version "17.0.15" 2025-04-15' or 'java version "1.8.0_392"'
    local version
    version=$(java -version 2>&1 | sed -n 's/.*version "\([^"]*\)".*/\1/p' | head -n 1)
    case "$version" in
        1.*) echo "${version#1.}" | cut -d. -f1 ;;
        "") echo 0 ;;
        *) echo "$version" | cut -d. -f1 | cut -d- -f1 ;;
    esac
}

if [ "$(java_major)" -ge 17 ] 2>/dev/null; then
    exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then
        SUDO="sudo"
    else
        echo "install_java.sh: Java 17 is needed for the Spark tests; run as root or install openjdk-17-jre-headless" >&2
        exit 1
    fi
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq >/dev/null
$SUDO apt-get install -y -qq --no-install-recommends openjdk-17-jre-headless >/dev/null
if [ "$(java_major)" -lt 17 ]; then
    echo "install_java.sh: installed openjdk-17-jre-headless but 'java -version' still reports an older Java" >&2
    exit 1
fi
