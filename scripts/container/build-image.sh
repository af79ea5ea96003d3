#!/usr/bin/env bash
# Builds kc-event-relay:local with `docker build` from the repository's own Dockerfile, as users
# build it, with two build arguments only: NODE_IMAGE, the stand-in of node:24-bookworm-slim that
# base-images.sh makes (built first when missing), and NPM_REGISTRY, npm-mirror.mjs on loopback,
# reached over plain HTTP with --network host. Docker's cache makes a build of unchanged sources
# quick, so the image always matches the working tree.
# KCR_NPM_MIRROR_PORT (default 4873) is fixed rather than random: the registry address is a build
# argument of `npm ci`, and a new address each time would defeat the cache of that layer.
set -euo pipefail
cd "$(dirname "$0")/../.."

bash scripts/container/base-images.sh
eval "$(bash scripts/container/base-images.sh --print)"

port=${KCR_NPM_MIRROR_PORT:-4873}
log=$(mktemp)
# The mirror trusts what this machine's npm trusts (its `cafile`), on the host side only.
cafile=$(npm config get cafile)
case "$cafile" in null | undefined | '') ;; *) export NODE_EXTRA_CA_CERTS="$cafile" ;; esac
node_modules/.bin/node scripts/container/npm-mirror.mjs "$port" "$(npm config get registry)" >"$log" 2>&1 &
mirror=$!
trap 'kill "$mirror" 2>/dev/null; wait "$mirror" 2>/dev/null; cat "$log"; rm -f "$log"' EXIT
for _ in $(seq 1 50); do
  grep -q '^listening' "$log" && break
  kill -0 "$mirror" 2>/dev/null || { echo "build-image: the npm mirror did not start (port $port taken? set KCR_NPM_MIRROR_PORT)" >&2; exit 1; }
  sleep 0.1
done

echo "build-image: docker build -t kc-event-relay:local (NODE_IMAGE=$KCR_NODE_IMAGE)"
docker build --network host \
  --build-arg NODE_IMAGE="$KCR_NODE_IMAGE" \
  --build-arg NPM_REGISTRY="http://127.0.0.1:$port/" \
  -t kc-event-relay:local .
