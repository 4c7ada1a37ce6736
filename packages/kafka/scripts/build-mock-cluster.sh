#!/usr/bin/env bash
# Builds mock-cluster/mock-cluster.c into .build/mock-cluster (gitignored). Needs a C compiler and
# Debian's librdkafka-dev (apt-get install -y gcc librdkafka-dev).
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p .build
cc -O2 -Wall -Wextra -o .build/mock-cluster.tmp mock-cluster/mock-cluster.c -lrdkafka
mv .build/mock-cluster.tmp .build/mock-cluster
