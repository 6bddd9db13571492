#!/usr/bin/env bash
# Builds sessionstore/redis:local, a Redis 7.0 image, from the Redis installed on this machine,
# without pulling anything from a registry (FROM scratch; see scripts/image-lib.sh).
#
# Needs (this script installs nothing): apt-get install -y --no-install-recommends
#   redis-server redis-tools busybox-static docker.io
# redis-server must not keep running on the host: install it with a policy-rc.d that exits 101
# (or stop it afterwards); the image only copies the binaries.
#
# Usage: scripts/build-redis-image.sh [tag]     (default tag: sessionstore/redis:local)
# Prints the tag on stdout, so: export SESSIONSTORE_REDIS_IMAGE="$(scripts/build-redis-image.sh)"
# Idempotent: the image carries a sha256 over its inputs (binaries, libraries, these scripts)
# as a label and is rebuilt only when one of them changed.
#
# The image answers to the official redis image's usage as far as the tests need it:
#   - CMD ["redis-server"], WORKDIR /data, USER redis; pass e.g.
#     `redis-server --port 6379 --protected-mode no --save '' --appendonly no` as the command
#     (with a published port, protected mode must be off: clients come through docker-proxy).
#   - redis-sentinel is a symlink to redis-server (Redis picks its mode from its name):
#     `redis-sentinel /data/sentinel.conf` with a config file copied in before start, mode 0666.
#   - redis-cli for `redis-cli --cluster create …` and inspection (Exec).
#   - /data is mode 0777, not 1777: Sentinel renames its rewritten config file there.
#   - TLS works (Debian builds Redis with it): --tls-port, --tls-cert-file, --tls-key-file,
#     --tls-ca-cert-file, --tls-auth-clients no; bind-mount the cert directory (mode 0755).
#   - busybox sh, cat, grep, ls, nc for Exec.
# Unlike the official image there is no entrypoint script: the command is run as given.
set -euo pipefail
# shellcheck source=scripts/image-lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/image-lib.sh"

tag="${1:-sessionstore/redis:local}"
label="org.sessionstore.redis.sha256"

img_need docker=docker.io redis-server=redis-server redis-cli=redis-tools /bin/busybox=busybox-static
server="$(readlink -f "$(command -v redis-server)")" # a symlink to redis-check-rdb on Debian
cli="$(readlink -f "$(command -v redis-cli)")"
libs=()
mapfile -t libs < <(img_libs "$server" "$cli")

sum="$(img_sum "${BASH_SOURCE[0]}" "$(dirname "${BASH_SOURCE[0]}")/image-lib.sh" "$server" "$cli" /bin/busybox "${libs[@]}")"
img_up_to_date "$sum" && exit 0

img_rootfs
# The binary picks its mode from the name it runs under: copy it as redis-server.
cp -L "$server" "$R/usr/bin/redis-server"
ln -s redis-server "$R/usr/bin/redis-sentinel"
cp -L "$cli" "$R/usr/bin/redis-cli"
img_copy_libs "$server" "$cli"
img_busybox sh cat grep ls nc
img_passwd redis:999:999
mkdir -p "$R/data"
chmod 0777 "$R/data"

img_build "$sum" 'USER redis
WORKDIR /data
ENV PATH=/usr/bin
EXPOSE 6379
CMD ["redis-server"]'
