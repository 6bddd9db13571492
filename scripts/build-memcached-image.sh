#!/usr/bin/env bash
# Builds a minimal memcached container image from the memcached binary installed on this
# machine (apt-get install memcached), without pulling anything from a registry: the binary,
# the shared libraries ldd reports, the dynamic loader and a /etc/passwd + /etc/group that
# know "nobody" are copied into a temporary build context and built FROM scratch.
#
# Usage: scripts/build-memcached-image.sh [tag]     (default tag: sessionstore/memcached:local)
# Env:   MEMCACHED_BIN overrides the binary (default: the memcached on PATH).
# Prints the image tag on stdout (everything else goes to stderr), so callers can do
#   export SESSIONSTORE_MEMCACHED_IMAGE="$(scripts/build-memcached-image.sh)"
# Idempotent: the image carries the binary's sha256 as a label; when an image with that tag
# and label already exists, nothing is rebuilt.
set -euo pipefail

tag="${1:-sessionstore/memcached:local}"
bin="${MEMCACHED_BIN:-$(command -v memcached || true)}"
if [[ -z "$bin" || ! -x "$bin" ]]; then
	echo "build-memcached-image: memcached binary not found (apt-get install -y memcached)" >&2
	exit 1
fi
bin="$(readlink -f "$bin")"
command -v docker >/dev/null || { echo "build-memcached-image: docker CLI not found" >&2; exit 1; }

sum="$(sha256sum "$bin" | cut -d' ' -f1)"
have="$(docker image inspect --format '{{ index .Config.Labels "org.sessionstore.memcached.sha256" }}' "$tag" 2>/dev/null || true)"
if [[ "$have" == "$sum" ]]; then
	echo "build-memcached-image: $tag is up to date" >&2
	echo "$tag"
	exit 0
fi

ctx="$(mktemp -d)"
trap 'rm -rf "$ctx"' EXIT
mkdir -p "$ctx/rootfs/usr/bin" "$ctx/rootfs/etc" "$ctx/rootfs/tmp"

cp -L "$bin" "$ctx/rootfs/usr/bin/memcached"
# Copy every library at the path the loader looks it up by (symlinks resolved), plus the loader
# itself (the line without "=>", e.g. /lib64/ld-linux-x86-64.so.2). vdso has no file.
ldd "$bin" | awk '/=> \//{print $3} !/=>/ && $1 ~ /^\//{print $1}' | while read -r lib; do
	mkdir -p "$ctx/rootfs$(dirname "$lib")"
	cp -L "$lib" "$ctx/rootfs$lib"
done

cat >"$ctx/rootfs/etc/passwd" <<'PASSWD'
root:x:0:0:root:/:/nonexistent
nobody:x:65534:65534:nobody:/nonexistent:/nonexistent
PASSWD
cat >"$ctx/rootfs/etc/group" <<'GROUP'
root:x:0:
nogroup:x:65534:
GROUP
chmod 1777 "$ctx/rootfs/tmp"

cat >"$ctx/Dockerfile" <<DOCKERFILE
FROM scratch
COPY rootfs/ /
LABEL org.sessionstore.memcached.sha256="$sum"
USER nobody
EXPOSE 11211
ENTRYPOINT ["/usr/bin/memcached"]
DOCKERFILE

# --pull=false: FROM scratch needs no registry, and no other base is ever fetched.
docker build --pull=false -q -t "$tag" "$ctx" >&2
echo "$tag"
