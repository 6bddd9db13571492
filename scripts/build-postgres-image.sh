#!/usr/bin/env bash
# Builds sessionstore/postgres:local, a PostgreSQL 15 image, from the PostgreSQL installed on
# this machine, without pulling anything from a registry (FROM scratch; see image-lib.sh).
#
# Needs (this script installs nothing): apt-get install -y --no-install-recommends
#   postgresql-15 docker.io
# No PostgreSQL server may run on the host (nothing may listen on 5432): install with a
# policy-rc.d that exits 101, and leave the package's "main" cluster down. This script only
# runs initdb into its own temporary directory, as the postgres user.
#
# Usage: scripts/build-postgres-image.sh [tag]  (default tag: sessionstore/postgres:local)
# Prints the tag on stdout, so: export SESSIONSTORE_POSTGRES_IMAGE="$(scripts/build-postgres-image.sh)"
# Idempotent: the image carries a sha256 over its inputs (server binary and libraries, the
# Debian package versions of the data files, these scripts) and is rebuilt only when one changed.
#
# What a test helper can rely on (the official postgres image's conventions where they matter):
#   - port 5432, superuser "postgres", database "postgres", PGDATA /var/lib/postgresql/data,
#     USER postgres, CMD ["postgres"]; pass `postgres -c name=value …` as the command to add
#     settings (the official image accepts the same).
#   - The cluster is made by initdb at build time: UTF8, locale C.UTF-8, timezone UTC,
#     trust authentication for every host (no password), listen_addresses '*' inside the
#     container (publish the port on 127.0.0.1 only). fsync, synchronous_commit and
#     full_page_writes are off: test data need not survive a machine crash.
#   - STOPSIGNAL SIGINT (fast shutdown): with SIGTERM ("smart") postgres waits for its clients,
#     docker kills it and the next start runs crash recovery. Data survive a stop and start.
#   - The official image's POSTGRES_* variables mean nothing here; create further databases
#     and roles with SQL. "database system is ready to accept connections" is logged once.
#   - No JIT (llvmjit is left out), no psql inside: connect from the host.
set -euo pipefail
# shellcheck source=scripts/image-lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/image-lib.sh"

tag="${1:-sessionstore/postgres:local}"
label="org.sessionstore.postgres.sha256"
P=/usr/lib/postgresql/15

img_need docker=docker.io "$P/bin/postgres=postgresql-15" "$P/bin/initdb=postgresql-15"
id postgres >/dev/null 2>&1 || img_die "no postgres user (apt-get install -y --no-install-recommends postgresql-15)"
U="$(id -u postgres)"
G="$(id -g postgres)"

mods=()
mapfile -t mods < <(find "$P/lib" -maxdepth 1 -name '*.so' ! -name 'llvmjit*' | sort)
libs=()
mapfile -t libs < <(img_libs "$P/bin/postgres" "${mods[@]}")
sum="$(img_sum "${BASH_SOURCE[0]}" "$(dirname "${BASH_SOURCE[0]}")/image-lib.sh" "$P/bin/postgres" "$P/bin/initdb" "${mods[@]}" "${libs[@]}" \
	-- "uid=$U gid=$G" "$(img_pkg_versions "$P/bin/postgres" /usr/share/zoneinfo/UTC /usr/lib/locale/C.utf8/LC_CTYPE)")"
img_up_to_date "$sum" && exit 0

img_rootfs
mkdir -p "$R$P/bin" "$R/usr/share/postgresql" "$R/usr/lib/locale" "$R/var/run/postgresql" "$R/var/lib/postgresql"
cp -a "$P/bin/postgres" "$R$P/bin/"
cp -a "$P/lib" "$R$P/"
rm -rf "$R$P"/lib/{llvmjit*,bitcode,pgxs}
cp -a /usr/share/postgresql/15 "$R/usr/share/postgresql/"
cp -a /usr/share/zoneinfo "$R/usr/share/"
cp -a /usr/lib/locale/C.utf8 "$R/usr/lib/locale/"
img_copy_libs "$R$P/bin/postgres" "$R$P"/lib/*.so
img_passwd "postgres:$U:$G"
chown -R "$U:$G" "$R/var/run/postgresql" "$R/var/lib/postgresql"
chmod 2775 "$R/var/run/postgresql"

data=/var/lib/postgresql/data
# initdb runs on the host as postgres, writing into the image's tree; TZ=UTC makes the
# cluster's timezone UTC rather than the build machine's.
su postgres -s /bin/sh -c "TZ=UTC '$P/bin/initdb' -D '$R$data' -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 --no-sync --no-instructions" >&2
cat >>"$R$data/postgresql.conf" <<'CONF'

# sessionstore test image (scripts/build-postgres-image.sh)
listen_addresses = '*'
fsync = off
synchronous_commit = off
full_page_writes = off
CONF
# Clients on the host arrive through the bridge's gateway (docker-proxy), not from loopback.
echo "host all all all trust" >>"$R$data/pg_hba.conf"

img_build "$sum" "USER postgres
ENV PATH=$P/bin:/usr/bin PGDATA=$data
EXPOSE 5432
STOPSIGNAL SIGINT
CMD [\"postgres\"]"
