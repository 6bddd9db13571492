# shellcheck shell=bash
# Shared by scripts/build-{redis,postgres,mariadb}-image.sh (sourced, not run): builds a
# container image FROM scratch out of programs installed on this machine, without pulling
# anything from a registry. The calling script sets `tag` and `label` and defines what goes
# into the root file system; this file gives it the pieces:
#
#   img_need CMD...            fail early, naming the apt package, when a command is missing
#   img_sum FILE... -- TEXT... sha256 over the contents of FILEs (and TEXTs): the build inputs
#   img_up_to_date SUM         true (and prints the tag) when $tag already carries SUM in $label
#   img_rootfs                 creates the skeleton in $R (merged /usr, /etc, /tmp 1777)
#   img_libs FILE...           lists the shared libraries ldd resolves for FILEs
#   img_copy_libs FILE...      copies them into $R
#   img_busybox APPLET...      copies busybox (apt: busybox-static) and links the applets
#   img_passwd NAME:UID:GID... writes $R/etc/passwd and $R/etc/group (root plus NAMEs)
#   img_build SUM DOCKERFILE   tars $R with numeric owners and runs docker build (--pull=false)
#
# Everything but the tag goes to stderr, so `export X="$(scripts/build-…-image.sh)"` works.

set -euo pipefail

img_log() { echo "$(basename "$0" .sh): $*" >&2; }
img_die() { img_log "$*"; exit 1; }

# img_need CMD=PACKAGE... checks that each command exists; the message names its package.
img_need() {
	local spec cmd pkg
	for spec; do
		cmd="${spec%%=*}"
		pkg="${spec#*=}"
		command -v "$cmd" >/dev/null 2>&1 || [[ -x "$cmd" ]] ||
			img_die "$cmd not found (apt-get install -y --no-install-recommends $pkg)"
	done
}

# img_sum FILE... [-- TEXT...] prints one sha256 over the named files' contents (symlinks
# followed, each with its base name) and the extra texts. It is the image's identity: the script
# rebuilds exactly when one of its inputs changed.
img_sum() {
	local f texts=()
	{
		while [[ $# -gt 0 ]]; do
			if [[ "$1" == "--" ]]; then
				shift
				texts=("$@")
				break
			fi
			f="$1"
			shift
			[[ -r "$f" ]] || img_die "input $f is missing"
			# The name without its directory: the sum must not depend on where the
			# repository is, or on how the script was called.
			printf '%s %s\n' "$(sha256sum <"$(readlink -f "$f")" | cut -d' ' -f1)" "$(basename "$f")"
		done
		printf '%s\n' "${texts[@]}"
	} | sha256sum | cut -d' ' -f1
}

# img_pkg_versions PATH... prints "package=version" for the Debian packages owning PATHs.
img_pkg_versions() {
	local p pkg
	for p; do
		pkg="$(dpkg-query -S "$(readlink -f "$p")" 2>/dev/null | head -n1 | cut -d: -f1 || true)"
		if [[ -n "$pkg" ]]; then
			dpkg-query -W -f='${Package}=${Version}\n' "$pkg"
		fi
	done | sort -u
}

img_up_to_date() {
	local have
	have="$(docker image inspect --format "{{ index .Config.Labels \"$label\" }}" "$tag" 2>/dev/null || true)"
	if [[ "$have" == "$1" ]]; then
		img_log "$tag is up to date"
		echo "$tag"
		return 0
	fi
	return 1
}

# img_rootfs makes the build context ($ctx, removed at exit) and the root file system in
# $R. /bin, /lib, /lib64 and /sbin link into /usr as on Debian, so the paths ldd prints resolve.
img_rootfs() {
	ctx="$(mktemp -d)"
	trap 'rm -rf "$ctx"' EXIT
	R="$ctx/rootfs"
	mkdir -p "$R"/usr/{bin,lib,lib64,sbin} "$R/etc" "$R/tmp"
	chmod 755 "$ctx" "$R"
	chmod 1777 "$R/tmp"
	local d
	for d in bin lib lib64 sbin; do ln -s "usr/$d" "$R/$d"; done
}

# img_libs FILE... lists the shared libraries ldd resolves for the files, and the dynamic
# loader, once each (ldd runs per file: given several, it prints "FILE:" headers).
img_libs() {
	local f
	for f; do ldd "$f"; done | grep -o '/[^ ]*' | sort -u
}

# img_copy_libs FILE... copies img_libs FILE... into $R, each at the path the loader looks it
# up by (symlinks resolved).
img_copy_libs() {
	img_libs "$@" | while read -r lib; do
		cp -L --parents "$lib" "$R"
	done
}

# img_busybox APPLET... adds a static busybox as /usr/bin/busybox with the applets as links:
# a shell and a few tools for entrypoints and for inspecting a container with Exec.
img_busybox() {
	local a
	cp -L /bin/busybox "$R/usr/bin/busybox"
	for a; do ln -s busybox "$R/usr/bin/$a"; done
}

# img_passwd NAME:UID:GID... writes passwd and group with root and the given accounts.
img_passwd() {
	local e name uid gid
	printf 'root:x:0:0:root:/root:/nonexistent\n' >"$R/etc/passwd"
	printf 'root:x:0:\n' >"$R/etc/group"
	for e; do
		IFS=: read -r name uid gid <<<"$e"
		printf '%s:x:%s:%s:%s:/nonexistent:/nonexistent\n' "$name" "$uid" "$gid" "$name" >>"$R/etc/passwd"
		printf '%s:x:%s:\n' "$name" "$gid" >>"$R/etc/group"
	done
}

# img_build SUM DOCKERFILE-BODY builds $tag from $R. The root file system goes in as one tar
# (numeric owners kept: COPY of a folder would make every file root-owned) under a
# Dockerfile FROM scratch, which pulls nothing; the body follows the ADD line, and the input
# sum is added as the $label label.
img_build() {
	local sum="$1" body="$2" old new
	old="$(docker image inspect --format '{{.Id}}' "$tag" 2>/dev/null || true)"
	tar --numeric-owner -C "$R" -cf "$ctx/rootfs.tar" .
	rm -rf "$R"
	{
		printf 'FROM scratch\nADD rootfs.tar /\nLABEL %s="%s"\n' "$label" "$sum"
		printf '%s\n' "$body"
	} >"$ctx/Dockerfile"
	# --pull=false: FROM scratch needs no registry, and no other base is ever fetched.
	docker build --pull=false -q -t "$tag" "$ctx" >&2
	new="$(docker image inspect --format '{{.Id}}' "$tag")"
	# The image this one replaces would stay behind untagged: remove it unless a container
	# still uses it.
	if [[ -n "$old" && "$old" != "$new" ]]; then
		docker image rm "$old" >/dev/null 2>&1 || true
	fi
	echo "$tag"
}
