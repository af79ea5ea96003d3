#!/usr/bin/env bash
# `npm run test:container`: builds what is missing (the base images, then kc-event-relay:local through
# Docker's cache: scripts/container/build-image.sh) and runs test/container/ against the image, each
# step bounded in time. Needs a running Docker engine and docker-compose (.ci/run provides both);
# Docker Hub is never used.
set -euo pipefail
cd "$(dirname "$0")/../.."
# The project's Node 24 first, as under `npm run` (vitest's launcher runs whatever `node` is first).
export PATH="$PWD/node_modules/.bin:$PATH"

docker info >/dev/null 2>&1 || { echo "test:container: no Docker engine answers (start dockerd; .ci/run does)" >&2; exit 1; }
command -v docker-compose >/dev/null || { echo "test:container: docker-compose missing (Debian: apt-get install docker-compose)" >&2; exit 1; }

t0=$SECONDS
timeout 1800 bash scripts/container/build-image.sh
echo "test:container: images ready in $((SECONDS - t0)) s"
eval "$(bash scripts/container/base-images.sh --print)"
export KCR_NODE_IMAGE KCR_REDIS_IMAGE
timeout 900 vitest run --config vitest.container.config.ts
