#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The newest Debian kernel (sid, 7.x) for building and testing nsgpuperf.
# Its headers need gcc-16 and a newer libc than bookworm's, and adding
# sid to the host's apt sources would replace the host's libc, so
# everything sid lives in a debootstrap chroot inside the cache.
#
#   scripts/sid.sh ensure
#       Create the chroot if missing; install the newest
#       linux-headers-7.*-amd64 of sid in it; unpack that kernel's image and
#       modules into the cache.  Idempotent.  Prints the kernel version
#       (e.g. 7.2.13+deb14-amd64) as the only line on stdout.
#   scripts/sid.sh run KVER DIR COMMAND...
#       Copy DIR to /build/KVER/$(basename DIR) in the chroot, run COMMAND
#       there (as root, clean environment), copy the directory back over
#       DIR.  Exits with COMMAND's status.
#   scripts/sid.sh tools
#       Create the chroot if missing; install (or upgrade to sid's newest)
#       the tools the VM tests run from sid (TOOL_PKGS) in it, and stage
#       their binaries with the chroot's own loader and libraries outside
#       it (see sid/tools below).  Idempotent.  Prints the staged
#       directory as the only line on stdout.
#   scripts/sid.sh path
#       Print the chroot's path.
#
# Cache ($NSGPUPERF_CACHE, default ~/.cache/nsgpuperf):
#   sid/chroot/                 the chroot (gcc-16, make, sparse, headers)
#   kernels/KVER/vmlinuz        the kernel image
#   kernels/KVER/modules/       lib/modules/KVER: MODULE_DIRS and what
#                               they depend on, decompressed, with
#                               modules.dep (.done names MODULE_DIRS: a
#                               change fetches again)
#   kernels/KVER/build          -> the headers inside the chroot
#   sid/tools                   -> sid/tools-KEY/: bin/intel_gpu_top,
#                               lib/ (its loader ld-linux-x86-64.so.2 and
#                               every library it links, by soname) and
#                               VERSIONS; KEY hashes the chroot's package
#                               list, so any package change restages.  Run
#                               as lib/ld-linux-x86-64.so.2 --library-path
#                               lib bin/intel_gpu_top.
#
# Environment: NSGPUPERF_SID_MIRROR (default http://deb.debian.org/debian),
# NSGPUPERF_SID_SERIES (default 7), NSGPUPERF_SID_TTL (minutes between
# "apt-get update" runs in the chroot, default 60).

# shellcheck disable=SC2016 # '$1', '${Package}' are expanded in the chroot
set -euo pipefail

CACHE=${NSGPUPERF_CACHE:-$HOME/.cache/nsgpuperf}
MIRROR=${NSGPUPERF_SID_MIRROR:-http://deb.debian.org/debian}
SERIES=${NSGPUPERF_SID_SERIES:-7}
TTL=${NSGPUPERF_SID_TTL:-60}
SID=$CACHE/sid
CHROOT=$SID/chroot
KERNELS=$CACHE/kernels
# Where in the kernel's module tree the VM tests take modules from (plus
# everything those depend on): directories, or single modules (named
# without the compression suffix).  drm for the mock; virtio_blk and ext4
# for the LXC test VM's root disk (selftests/vm/run.sh image mode).
MODULE_DIRS="kernel/drivers/gpu/drm kernel/drivers/block/virtio_blk.ko kernel/fs/ext4"
PKGS=gcc-16,make,libc6-dev,libelf-dev,bc,bison,flex,kmod,sparse
# Tools the VM tests run from sid (sid/tools), and the binaries staged.
TOOL_PKGS="intel-gpu-tools"
TOOL_BINS="/usr/bin/intel_gpu_top"
export DEBIAN_FRONTEND=noninteractive

log() { echo "sid: $*" >&2; }
die() { log "$*"; exit 1; }

# Run a command with its chatter (dpkg prints every unpack even with -qq)
# in $SID/apt.log, shown only when it fails.
quietly() {
	echo "+ $*" >>"$SID/apt.log"
	"$@" </dev/null >>"$SID/apt.log" 2>&1 && return
	local rc=$?
	tail -n 20 "$SID/apt.log" >&2
	log "failed ($rc): $* (log: $SID/apt.log)"
	return $rc
}

# Run a command in the chroot with a clean environment: host variables
# (MAKEFLAGS with a jobserver fifo, locale, ...) mean nothing in there.
# /proc (objtool reads it) is mounted in a private mount namespace, so it
# goes away with the command, however that ends: no unmount trap needed.
in_chroot() {
	unshare --mount-proc="$CHROOT/proc" chroot "$CHROOT" /usr/bin/env -i \
		PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
		HOME=/root LANG=C.UTF-8 DEBIAN_FRONTEND=noninteractive "$@"
}

# Unmount whatever an interrupted debootstrap left mounted in the chroot
# (it mounts /proc and /sys while installing), deepest first.
unmount_chroot() {
	local m
	awk -v p="$CHROOT/" 'index($2, p) == 1 { print $2 }' /proc/mounts |
		sort -r | while read -r m; do umount -l "$m" || true; done
}

# Host tools this script uses that a minimal bookworm may lack (bookworm
# packages only: nothing from sid ever touches the host).
host_tools() {
	local missing=() t
	for t in debootstrap:debootstrap xz:xz-utils depmod:kmod; do
		command -v "${t%%:*}" >/dev/null || missing+=("${t#*:}")
	done
	[ ${#missing[@]} -eq 0 ] && return
	log "installing ${missing[*]} (host)"
	quietly apt-get install -y -qq "${missing[@]}"
}

make_chroot() {
	[ -f "$SID/chroot.done" ] && [ -x "$CHROOT/usr/bin/apt-get" ] && return
	unmount_chroot
	# A half-made chroot is not trusted: start over.
	rm -rf --one-file-system "$CHROOT"
	log "debootstrap sid into $CHROOT (about a minute)"
	if ! debootstrap --variant=minbase --include="$PKGS" sid "$CHROOT" "$MIRROR" \
		</dev/null >"$SID/debootstrap.log" 2>&1; then
		tail -n 20 "$SID/debootstrap.log" >&2
		unmount_chroot
		die "debootstrap failed (log: $SID/debootstrap.log)"
	fi
	# sid's Release files may be past Valid-Until on the mirror we see;
	# apt downloads as root because it writes into root-owned directories.
	cat >"$CHROOT/etc/apt/apt.conf.d/99nsgpuperf" <<-'EOF'
		Acquire::Check-Valid-Until "false";
		Acquire::Languages "none";
		Acquire::http::Timeout "30";
		APT::Install-Recommends "false";
		APT::Sandbox::User "root";
		Dpkg::Use-Pty "0";
	EOF
	in_chroot apt-get clean
	rm -f "$SID/updated" "$SID/apt.log"
	touch "$SID/chroot.done"
}

# Device nodes for builds (debootstrap makes them, but a stray redirect to a
# missing /dev/null would create a plain file), so /dev need not be mounted.
fix_devices() {
	local spec name type major minor
	for spec in null:c:1:3 zero:c:1:5 full:c:1:7 random:c:1:8 urandom:c:1:9 tty:c:5:0; do
		IFS=: read -r name type major minor <<<"$spec"
		[ -c "$CHROOT/dev/$name" ] && continue
		rm -f "$CHROOT/dev/$name"
		mknod -m 666 "$CHROOT/dev/$name" "$type" "$major" "$minor"
	done
}

# apt-get update in the chroot, at most every $TTL minutes.
update_lists() {
	if [ -f "$SID/updated" ] && [ -z "$(find "$SID/updated" -mmin +"$TTL")" ]; then
		return 0
	fi
	log "apt-get update (chroot)"
	cp /etc/resolv.conf "$CHROOT/etc/resolv.conf" 2>/dev/null || true
	# Without --error-on=any a failed download is only a warning and the
	# stale lists are used silently.
	quietly in_chroot apt-get update -qq --error-on=any || return 1
	touch "$SID/updated"
}

# Newest plain-amd64 kernel of the series that has headers in sid.
newest_kver() {
	in_chroot apt-cache search --names-only "^linux-headers-$SERIES\\..*-amd64\$" |
		awk '{ print $1 }' |
		grep -E "^linux-headers-$SERIES\.[0-9]+(\.[0-9]+)*(\+deb[0-9]+)?-amd64\$" |
		sed 's/^linux-headers-//' | sort -V | tail -n1
}

# Newer Kbuild (7.x here, not 6.12) runs scripts/checker-valid.sh before
# "make C=1/C=2" and, when it is missing, only warns and skips sparse.  Debian's linux-kbuild
# does not ship it, so put in an equivalent: print 1 when the checker
# ("$@") handles __typeof_unqual__, which the kernel headers use.
fix_checker() {
	local mk=$CHROOT/usr/src/linux-headers-$1/Makefile common f
	common=$(sed -n 's|^include \(/usr/src/linux-headers-[^/]*\)/Makefile$|\1|p' "$mk")
	[ -n "$common" ] && grep -q checker-valid.sh "$CHROOT$common/Makefile" || return 0
	# scripts/ is a symlink: resolve it inside the chroot.
	f=$common/scripts/checker-valid.sh
	in_chroot test -e "$f" && return
	in_chroot sh -c 'cat >"$1" && chmod 755 "$1"' sh "$f" <<-'EOF'
		#!/bin/sh
		# Added by nsgpuperf's scripts/sid.sh (missing from linux-kbuild).
		command -v "$1" >/dev/null 2>&1 || { echo 0; exit 0; }
		t=$(mktemp --suffix=.c)
		trap 'rm -f "$t"' EXIT
		printf 'static inline int u(const int *q) { __typeof_unqual__(*q) v = *q; return v; }\n' >"$t"
		# sparse exits 0 on errors: look at what it prints.
		if "$@" "$t" 2>&1 | grep -q error; then echo 0; else echo 1; fi
	EOF
}

kernel_ready() {
	[ -f "$KERNELS/$1/.done" ] && [ "$(cat "$KERNELS/$1/.done")" = "$MODULE_DIRS" ] &&
		[ -f "$CHROOT/usr/src/linux-headers-$1/Makefile" ]
}

install_headers() {
	local kver=$1 old=()
	log "installing linux-headers-$kver (chroot)"
	# Finish whatever an interrupted earlier run left half-configured.
	quietly in_chroot dpkg --configure -a
	quietly in_chroot apt-get install -y -qq "linux-headers-$kver"
	# Only the newest kernel is tested: drop older headers.
	mapfile -t old < <(in_chroot dpkg-query -W -f='${Package}\n' 'linux-headers-*-amd64' \
		2>/dev/null | grep -vx "linux-headers-$kver" || true)
	if [ ${#old[@]} -gt 0 ]; then
		log "purging ${old[*]}"
		# Our file would keep dpkg from removing the old kbuild directory.
		rm -f "$CHROOT"/usr/lib/linux-kbuild-*/scripts/checker-valid.sh
		quietly in_chroot apt-get purge -y -qq "${old[@]}"
		quietly in_chroot apt-get autoremove --purge -y -qq
	fi
	in_chroot apt-get clean
}

# Unpack the kernel image and the modules the VM tests need into the cache.
fetch_kernel() {
	local kver=$1 dest=$KERNELS/$1 tmp=$KERNELS/.sid-tmp
	local x mods out dl=/var/cache/nsgpuperf-dl
	log "fetching the $kver kernel image and modules"
	rm -rf "$tmp" "$CHROOT$dl" && mkdir -p "$tmp" "$CHROOT$dl"
	# Debian splits the kernel: linux-image-* is a metapackage; the image
	# is in linux-binary-unsigned-*, modules in linux-modules-*,
	# modules.order/builtin and config in linux-base-*.
	quietly in_chroot sh -c 'cd "$1" && shift && apt-get download -qq "$@"' sh "$dl" \
		"linux-binary-unsigned-$kver" "linux-modules-$kver" "linux-base-$kver"
	x=$tmp/x
	for deb in "$CHROOT$dl"/*.deb; do
		dpkg-deb -x "$deb" "$x"
	done
	rm -rf "$CHROOT$dl"
	mods=$x/usr/lib/modules/$kver
	[ -f "$mods/vmlinuz.unsigned" ] || die "no vmlinuz.unsigned in linux-binary-unsigned-$kver"

	# modules.dep of the full tree lists each module's dependencies
	# transitively: the wanted set is every module under MODULE_DIRS and
	# everything on its line.
	depmod -b "$x/usr" "$kver"
	out=$tmp/out/lib/modules/$kver
	mkdir -p "$out"
	awk -v dirs="$MODULE_DIRS" '
		BEGIN { n = split(dirs, d, " ") }
		{
			sub(/:$/, "", $1)
			f = $1
			sub(/\.(xz|zst|gz)$/, "", f)
			for (i = 1; i <= n; i++)
				if (index($1, d[i] "/") == 1 || f == d[i]) {
					for (j = 1; j <= NF; j++) print $j
					break
				}
		}' "$mods/modules.dep" | sort -u >"$tmp/wanted"
	[ -s "$tmp/wanted" ] || die "no modules under $MODULE_DIRS in linux-modules-$kver"
	tar -C "$mods" -cf - -T "$tmp/wanted" | tar -C "$out" -xf -
	cp "$mods"/modules.order "$mods"/modules.builtin* "$mods"/config "$out/" 2>/dev/null || true
	# busybox insmod cannot read compressed modules.
	find "$out" -name '*.ko.xz' -print0 | xargs -0r -n 16 -P "$(nproc)" xz -d
	find "$out" -name '*.ko.zst' -print0 | xargs -0r -n 16 -P "$(nproc)" zstd -qd --rm
	find "$out" -name '*.ko.gz' -print0 | xargs -0r -n 16 -P "$(nproc)" gzip -d
	depmod -b "$tmp/out" "$kver"
	[ -f "$out/kernel/drivers/gpu/drm/drm.ko" ] || die "drm.ko missing from linux-modules-$kver"

	# Swapped in whole: a VM run of another checkout may be reading the
	# previous copy.
	mkdir -p "$tmp/new"
	mv "$out" "$tmp/new/modules"
	mv "$mods/vmlinuz.unsigned" "$tmp/new/vmlinuz"
	ln -s "$CHROOT/usr/src/linux-headers-$kver" "$tmp/new/build"
	echo "$MODULE_DIRS" >"$tmp/new/.done"
	rm -rf "$dest.old"
	[ -d "$dest" ] && mv "$dest" "$dest.old"
	mv "$tmp/new" "$dest"
	rm -rf "$tmp" "$dest.old"
}

cmd_ensure() {
	local kver cached=
	# Progress goes to stderr; only the version goes to stdout.
	exec 3>&1 1>&2
	mkdir -p "$SID" "$KERNELS"
	exec 9>"$SID/lock"
	flock 9
	: >"$SID/apt.log"
	[ -f "$SID/current" ] && cached=$(cat "$SID/current")

	host_tools
	make_chroot
	fix_devices
	if update_lists && kver=$(newest_kver) && [ -n "$kver" ]; then
		:
	elif [ -n "$cached" ] && kernel_ready "$cached"; then
		log "warning: cannot resolve the newest sid kernel (mirror unreachable?); using cached $cached"
		echo "$cached" >&3
		return
	else
		die "cannot resolve linux-headers-$SERIES.*-amd64 in sid"
	fi

	if ! kernel_ready "$kver"; then
		install_headers "$kver"
		fetch_kernel "$kver"
	fi
	fix_checker "$kver"
	if [ -n "$cached" ] && [ "$cached" != "$kver" ]; then
		log "removing the previous sid kernel $cached from the cache"
		rm -rf "${KERNELS:?}/$cached" "$CHROOT/build/$cached"
	fi
	echo "$kver" >"$SID/current"
	echo "$kver" >&3
}

# Install TOOL_PKGS, or upgrade them to the candidate of the current lists.
# offline (no fresh lists): keep what is installed.
install_tools() {
	local offline=$1 p st cand want=()
	for p in $TOOL_PKGS; do
		st=$(in_chroot dpkg-query -W -f='${db:Status-Abbrev}${Version}' "$p" 2>/dev/null || true)
		if [ "${st:0:2}" = ii ]; then
			[ "$offline" = 1 ] && continue
			cand=$(in_chroot apt-cache policy "$p" | awk '/Candidate:/ { print $2 }')
			[ "${st:3}" = "$cand" ] && continue
		elif [ "$offline" = 1 ]; then
			die "$p is not in the chroot and the sid lists cannot be updated"
		fi
		want+=("$p")
	done
	[ ${#want[@]} -eq 0 ] && return
	log "installing ${want[*]} (chroot)"
	quietly in_chroot dpkg --configure -a
	quietly in_chroot apt-get install -y -qq "${want[@]}"
	in_chroot apt-get clean
}

# Copy TOOL_BINS with the chroot's loader and the libraries they link (as
# the chroot's ldd resolves them) to sid/tools-KEY, and point sid/tools at
# it.  A VM run may still be copying the previous directory: it is kept,
# older ones go.
stage_tools() {
	local key dir tmp prev bin lib old pkg
	key=$(in_chroot dpkg-query -W -f='${Package} ${Version}\n' | sha256sum | cut -c1-16)
	dir=$SID/tools-$key
	if [ ! -f "$dir/.done" ]; then
		log "staging $TOOL_BINS with the chroot's loader and libraries"
		tmp=$SID/.tools-tmp
		rm -rf "$tmp" "$dir" && mkdir -p "$tmp/bin" "$tmp/lib"
		: >"$tmp/VERSIONS"
		for bin in $TOOL_BINS; do
			cp "$CHROOT$bin" "$tmp/bin/"
			# the package that ships it (intel-gpu-tools is transitional)
			pkg=$(in_chroot dpkg-query -S "$bin" | cut -d: -f1)
			in_chroot dpkg-query -W -f='${Package} ${Version}\n' "$pkg" >>"$tmp/VERSIONS"
			for lib in $(in_chroot ldd "$bin" | awk '$2 == "=>" && $3 ~ /^\// { print $3 }
							       $1 ~ /^\// { print $1 }'); do
				cp "$CHROOT$(in_chroot readlink -f "$lib")" "$tmp/lib/${lib##*/}"
			done
		done
		[ -f "$tmp/lib/ld-linux-x86-64.so.2" ] || die "no loader among the libraries of $TOOL_BINS"
		in_chroot dpkg-query -W -f='${Package} ${Version}\n' libc6 >>"$tmp/VERSIONS"
		mv "$tmp" "$dir"
		touch "$dir/.done"
	fi
	prev=$(readlink "$SID/tools" 2>/dev/null || true)
	ln -sfn "${dir##*/}" "$SID/tools.new"
	mv -T "$SID/tools.new" "$SID/tools"
	for old in "$SID"/tools-*; do
		case ${old##*/} in
		"${dir##*/}" | "$prev") ;;
		*) rm -rf "$old" ;;
		esac
	done
}

cmd_tools() {
	local offline=0
	exec 3>&1 1>&2
	mkdir -p "$SID"
	exec 9>"$SID/lock"
	flock 9
	: >"$SID/apt.log"
	host_tools
	make_chroot
	fix_devices
	if ! update_lists; then
		log "warning: cannot update the sid lists (mirror unreachable?); keeping the installed tools"
		offline=1
	fi
	install_tools "$offline"
	stage_tools
	echo "$SID/tools" >&3
}

cmd_run() {
	[ $# -ge 3 ] || die "usage: $0 run KVER DIR COMMAND..."
	local kver=$1 dir inner rc
	dir=$(realpath -e "$2") || die "no directory $2"
	shift 2
	[ -d "$dir" ] || die "$dir is not a directory"
	[ -f "$SID/chroot.done" ] || die "no chroot: run '$0 ensure' first"
	inner=/build/$kver/$(basename "$dir")

	# Shared: several runs at once are fine, but not while ensure may be
	# replacing the chroot; exclusive per build directory.
	exec 9>"$SID/lock"
	flock -s 9
	mkdir -p "$SID/locks"
	exec 8>"$SID/locks/run.$kver.$(basename "$dir")"
	flock 8

	fix_devices
	rm -rf "$CHROOT$inner" && mkdir -p "$CHROOT$inner"
	cp -a "$dir/." "$CHROOT$inner/"
	set +e
	in_chroot sh -c 'cd "$1" && shift && exec "$@"' sh "$inner" "$@"
	rc=$?
	set -e
	cp -a "$CHROOT$inner/." "$dir/"
	return $rc
}

case ${1:-} in
ensure) shift; cmd_ensure "$@" ;;
run) shift; cmd_run "$@" ;;
tools) shift; cmd_tools "$@" ;;
path) echo "$CHROOT" ;;
*)
	echo "usage: $0 ensure | run KVER DIR COMMAND... | tools | path" >&2
	exit 2
	;;
esac
