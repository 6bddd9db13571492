#!/usr/bin/env bash
# Builds sessionstore/mariadb:local, a MariaDB 10.11 image, from the MariaDB server installed
# on this machine, without pulling anything from a registry (FROM scratch; see image-lib.sh).
#
# Needs (this script installs nothing): apt-get install -y --no-install-recommends
#   mariadb-server docker.io
# No MariaDB server may run on the host (nothing may listen on 3306): install mariadb-server
# with a policy-rc.d that exits 101 (Debian's postinst would start it otherwise). This script
# only bootstraps a data directory of its own with the host's mariadbd.
#
# Usage: scripts/build-mariadb-image.sh [tag]   (default tag: sessionstore/mariadb:local)
# Prints the tag on stdout, so: export SESSIONSTORE_MARIADB_IMAGE="$(scripts/build-mariadb-image.sh)"
# Idempotent: the image carries a sha256 over its inputs (server binary, plugins and libraries,
# the Debian package versions of the data files, these scripts) and is rebuilt only when one
# of them changed.
#
# What a test helper can rely on:
#   - port 3306, CMD ["mariadbd"], USER mysql, datadir /var/lib/mysql.
#   - Users root@'%' with an empty password (all privileges, grant option) and test@'%' with
#     password "test" on database "test" (utf8mb4, utf8mb4_general_ci), baked in at build
#     time. The official image's MARIADB_* variables mean nothing here.
#   - skip-name-resolve: users are '%' or IP addresses. Drop-in files in /etc/mysql/conf.d
#     are read (copy one in before start), and mariadbd flags can be added to the command.
#   - Wait for "ready for connections" or a working login, not for the official image's
#     "mariadb.org binary distribution" line (Debian's build logs "Debian 12").
#   - No client inside: connect from the host (apt: mariadb-client).
set -euo pipefail
# shellcheck source=scripts/image-lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/image-lib.sh"

tag="${1:-sessionstore/mariadb:local}"
label="org.sessionstore.mariadb.sha256"

img_need docker=docker.io mariadbd=mariadb-server mariadb-install-db=mariadb-server
id mysql >/dev/null 2>&1 || img_die "no mysql user (apt-get install -y --no-install-recommends mariadb-server)"
U="$(id -u mysql)"
G="$(id -g mysql)"
server="$(readlink -f "$(command -v mariadbd)")"
plugdir=/usr/lib/mysql/plugin

plugins=()
mapfile -t plugins < <(find "$plugdir" -maxdepth 1 -name '*.so' ! -name 'auth_pam*' | sort)
libs=()
mapfile -t libs < <(img_libs "$server" "${plugins[@]}")
sum="$(img_sum "${BASH_SOURCE[0]}" "$(dirname "${BASH_SOURCE[0]}")/image-lib.sh" "$server" "${plugins[@]}" "${libs[@]}" \
	-- "uid=$U gid=$G" "$(img_pkg_versions "$server" /usr/share/mysql/english/errmsg.sys /usr/share/mysql/mysql_system_tables.sql "$(command -v mariadb-install-db)")")"
img_up_to_date "$sum" && exit 0

img_rootfs
mkdir -p "$R/run/mysqld" "$R/var/lib" "$R/etc/mysql/conf.d" "$R/usr/share/mysql" "$R/usr/lib/mysql"
ln -s ../run "$R/var/run"
cp -a "$server" "$R/usr/sbin/mariadbd"
cp -a "$plugdir" "$R/usr/lib/mysql/"
rm -rf "$R$plugdir"/auth_pam*
cp -a /usr/share/mysql/english /usr/share/mysql/charsets "$R/usr/share/mysql/"
img_copy_libs "$server" "$R$plugdir"/*.so
img_passwd "mysql:$U:$G"
chown "$U:$G" "$R/run/mysqld"

# Not the host's /etc/mysql: Debian's binds 127.0.0.1, which inside a container is unreachable.
cat >"$R/etc/mysql/my.cnf" <<'CONF'
# sessionstore test image (scripts/build-mariadb-image.sh)
[mariadbd]
datadir = /var/lib/mysql
socket = /run/mysqld/mysqld.sock
pid-file = /run/mysqld/mysqld.pid
bind-address = *
port = 3306
skip-name-resolve
character-set-server = utf8mb4
collation-server = utf8mb4_general_ci
innodb_log_file_size = 8M
!includedir /etc/mysql/conf.d/
CONF

# Bootstrap with the host's server into the image's tree. --cross-bootstrap: no grants tied to
# the build machine's host name. In --bootstrap, CREATE USER works only after FLUSH PRIVILEGES.
mariadb-install-db --no-defaults --user=mysql --basedir=/usr --datadir="$R/var/lib/mysql" \
	--cross-bootstrap --skip-test-db --innodb-log-file-size=8M >&2
mariadbd --no-defaults --bootstrap --user=mysql --datadir="$R/var/lib/mysql" --innodb-log-file-size=8M \
	--log-warnings=0 >&2 <<'SQL'
FLUSH PRIVILEGES;
CREATE USER 'root'@'%' IDENTIFIED BY '';
GRANT ALL PRIVILEGES ON *.* TO 'root'@'%' WITH GRANT OPTION;
CREATE DATABASE test CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci;
CREATE USER 'test'@'%' IDENTIFIED BY 'test';
GRANT ALL PRIVILEGES ON test.* TO 'test'@'%';
SQL

img_build "$sum" 'USER mysql
ENV PATH=/usr/sbin:/usr/bin
EXPOSE 3306
CMD ["mariadbd"]'
