#!/usr/bin/env bash
# Lints the container images: shellcheck on every shell script under images/ and scripts/,
# hadolint on every Dockerfile under images/. A missing tool is reported in one line, never
# skipped silently. Run by `npm run lint`.
set -euo pipefail
cd "$(dirname "$0")/.."

mapfile -t scripts < <(find images scripts -type f -name '*.sh' | sort)
mapfile -t dockerfiles < <(find images -type f -name Dockerfile | sort)

if command -v shellcheck >/dev/null; then
  shellcheck --severity=style "${scripts[@]}"
  echo "shellcheck: ${#scripts[@]} scripts OK"
else
  echo "shellcheck not installed (apt-get install shellcheck): shell script lint skipped"
fi

if command -v hadolint >/dev/null; then
  hadolint --config images/.hadolint.yaml "${dockerfiles[@]}"
  echo "hadolint: ${#dockerfiles[@]} Dockerfiles OK"
else
  echo "hadolint not installed (Debian does not package it): Dockerfile lint skipped"
fi
