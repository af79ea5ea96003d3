#!/usr/bin/env bash
# The base images the container tests need, made here from Debian's packages (Docker Hub is not
# reachable from this project's machines). Each is kept by its tag and built only when missing;
# `docker rmi` one to have it rebuilt (for Debian's security updates, say).
#   debian: `mmdebstrap --variant=minbase bookworm`, slimmed as Debian's own bookworm-slim is (no
#           manuals, locales or docs but the copyright files), imported with `docker import`.
#   node:   a stand-in for node:24-bookworm-slim on that base: the project's own Node 24 (the `node`
#           devDependency) and the host's npm under /usr/local, as in the official image, and the
#           user and group `node` (uid and gid 1000, home /home/node).
#   redis:  Debian's redis-server, laid out as the official redis image is where docker-compose.yml
#           relies on it (`redis-server` and `redis-cli` on the PATH, working directory /data owned by
#           the server's user, protected mode off; see redis-entrypoint.sh).
# No certificate of this machine goes into any image: the images reach no registry over TLS.
# `base-images.sh --print` prints the tags (KCR_DEBIAN_IMAGE=..., KCR_NODE_IMAGE=..., KCR_REDIS_IMAGE=...).
set -euo pipefail
cd "$(dirname "$0")/../.."

node_bin=node_modules/.bin/node
[ -x "$node_bin" ] || { echo "base-images: $node_bin missing: run npm ci first" >&2; exit 1; }
node_version=$("$node_bin" --version)
node_version=${node_version#v}

KCR_DEBIAN_IMAGE=kcr-local/debian:bookworm-slim
# The Node version is in the tag: a new `node` devDependency makes a new image.
KCR_NODE_IMAGE=kcr-local/node:${node_version}-bookworm-slim
KCR_REDIS_IMAGE=kcr-local/redis:bookworm

if [ "${1:-}" = --print ]; then
  printf 'KCR_DEBIAN_IMAGE=%s\nKCR_NODE_IMAGE=%s\nKCR_REDIS_IMAGE=%s\n' "$KCR_DEBIAN_IMAGE" "$KCR_NODE_IMAGE" "$KCR_REDIS_IMAGE"
  exit 0
fi

command -v mmdebstrap >/dev/null || { echo "base-images: mmdebstrap missing (Debian: apt-get install mmdebstrap)" >&2; exit 1; }
docker info >/dev/null 2>&1 || { echo "base-images: no Docker engine answers (start dockerd)" >&2; exit 1; }

have() { docker image inspect "$1" >/dev/null 2>&1; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# What Debian's slim images leave out, as dpkg path filters (kept in the image for later installs).
slim=(
  --dpkgopt='path-exclude=/usr/share/man/*'
  --dpkgopt='path-exclude=/usr/share/info/*'
  --dpkgopt='path-exclude=/usr/share/locale/*'
  --dpkgopt='path-include=/usr/share/locale/locale.alias'
  --dpkgopt='path-exclude=/usr/share/doc/*'
  --dpkgopt='path-include=/usr/share/doc/*/copyright'
  # /usr merged by symlinks as in Debian's images, instead of the usrmerge package (and the perl it pulls in).
  --hook-dir=/usr/share/mmdebstrap/hooks/merged-usr
)
path_env='ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'

# A root file system into $work/rootfs.tar (whole, or the script fails: a cut stream must never be
# imported and then kept by its tag); mmdebstrap's output is shown only when it fails.
bootstrap() {
  rm -f "$work/rootfs.tar"
  mmdebstrap --quiet --variant=minbase "${slim[@]}" "$@" bookworm "$work/rootfs.tar" 2>"$work/log" ||
    { cat "$work/log" >&2; exit 1; }
}

if have "$KCR_DEBIAN_IMAGE"; then
  echo "base-images: $KCR_DEBIAN_IMAGE present"
else
  echo "base-images: building $KCR_DEBIAN_IMAGE (mmdebstrap, a minute or two)"
  bootstrap
  docker import --change "$path_env" --change 'CMD ["bash"]' "$work/rootfs.tar" "$KCR_DEBIAN_IMAGE" >/dev/null
fi

if have "$KCR_NODE_IMAGE"; then
  echo "base-images: $KCR_NODE_IMAGE present"
else
  echo "base-images: building $KCR_NODE_IMAGE"
  mkdir "$work/node"
  cp "$(readlink -f "$node_bin")" "$work/node/node"
  cp -a "$(npm root -g)/npm" "$work/node/npm"
  cp scripts/container/node.Dockerfile "$work/node/Dockerfile"
  docker build --quiet --build-arg BASE="$KCR_DEBIAN_IMAGE" --build-arg NODE_VERSION="$node_version" \
    -t "$KCR_NODE_IMAGE" "$work/node" >/dev/null
fi

if have "$KCR_REDIS_IMAGE"; then
  echo "base-images: $KCR_REDIS_IMAGE present"
else
  echo "base-images: building $KCR_REDIS_IMAGE (mmdebstrap, a minute or two)"
  bootstrap --include=redis-server \
    --customize-hook='chroot "$1" install -d -o redis -g redis -m 0750 /data' \
    --customize-hook='copy-in scripts/container/redis-entrypoint.sh /usr/local/bin'
  docker import --change "$path_env" --change 'WORKDIR /data' --change 'VOLUME /data' --change 'USER redis' \
    --change 'EXPOSE 6379' --change 'ENTRYPOINT ["redis-entrypoint.sh"]' --change 'CMD ["redis-server"]' \
    "$work/rootfs.tar" "$KCR_REDIS_IMAGE" >/dev/null
fi
