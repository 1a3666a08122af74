#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Make this machine ready to build and test nsgpuperf, idempotently:
#  - install the Debian packages the build and the VM tests need (only the
#    missing ones; never touching apt sources: testing/unstable would replace
#    the host's libc; never a kernel image or headers package: they change
#    what the machine boots);
#  - resolve the kernel matrix at run time (newest 6.1 and 6.12 from
#    bookworm-security, newest 7.x from sid through a chroot, scripts/sid.sh,
#    the PREEMPT_RT flavours of 6.1 and 6.12), and unpack their headers and
#    images into the cache; build the debug kernel (scripts/debug-kernel.sh)
#    once;
#  - install linux-perf, and sid's newest intel-gpu-tools in the sid chroot,
#    staged with its own loader and libraries for the VM (sid.sh tools);
#  - extract kselftest_harness.h, kselftest.h and checkpatch from Debian's
#    linux-source into the cache.
#
# Writes the matrix to "$BUILD/matrix": one line per kernel,
#   <kver> <kdir> <vmlinuz> <module-tree> <builder: host|sid|debug>
#
# Environment: NSGPUPERF_CACHE (default ~/.cache/nsgpuperf), BUILD (default
# ./build), NSGPUPERF_KERNELS (which series to use, default
# "6.12-debug 6.1 6.12 7 6.1-rt 6.12-rt": the longest first, so that the
# other lane of make check runs the rest meanwhile).
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
CACHE=${NSGPUPERF_CACHE:-$HOME/.cache/nsgpuperf}
BUILD=${BUILD:-$here/build}
SERIES=${NSGPUPERF_KERNELS:-6.12-debug 6.1 6.12 7 6.1-rt 6.12-rt}
export DEBIAN_FRONTEND=noninteractive

log() { echo "deps: $*" >&2; }

mkdir -p "$CACHE/dl" "$CACHE/kernels" "$BUILD"

apt_updated=
apt_update() {
	[ -n "$apt_updated" ] && return
	log "apt-get update"
	apt-get update -qq >&2
	apt_updated=1
}

# Refresh package lists when they are older than a day (kernel versions
# move; a stale list names packages the mirror no longer has).
lists_fresh() {
	local newest
	newest=$(find /var/lib/apt/lists -maxdepth 1 -name '*bookworm-security*Packages*' \
		-mmin -1440 2>/dev/null | head -n1)
	[ -n "$newest" ]
}
lists_fresh || apt_update

install_pkgs() {
	local missing=() p
	for p in "$@"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' ||
			missing+=("$p")
	done
	[ ${#missing[@]} -eq 0 ] && return
	apt_update
	log "installing ${missing[*]}"
	apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
}

# intel-gpu-tools: the real intel_gpu_top, run against the mock in the VM;
# musl-tools: the preload library for musl (Alpine) containers;
# libpci, ncurses, libmicrohttpd: the reader; jq, tmux: its tests;
# python3-prometheus-client: a strict OpenMetrics parser for the
# exporter's tests (promtool checks only the Prometheus text format);
# debootstrap, e2fsprogs: the LXC test VM's image (scripts/lxc-image.sh).
install_pkgs build-essential qemu-system-x86 busybox-static cpio kmod \
	xz-utils zstd libdrm-dev pkg-config sparse dkms debootstrap \
	libelf-dev bc bison flex python3 perl unifdef g++ gcc-multilib dwarves \
	intel-gpu-tools musl-tools libpci-dev libncurses-dev libmicrohttpd-dev e2fsprogs \
	jq tmux pciutils python3-prometheus-client

# Newest package whose name matches an extended regex, by version sort.
newest_pkg() {
	apt-cache pkgnames | grep -E "^$1\$" | sort -V | tail -n1
}

# Unpack a kernel image package into the cache: the vmlinuz and its module
# tree (modules are loaded from there by the VM runner).
fetch_image() {
	local kver=$1 pkg=$2 kernel_path=$3 dest=$CACHE/kernels/$1
	[ -f "$dest/.done" ] && return
	log "fetching $pkg"
	# only its own parts: the headers (hdr/) may be there already
	rm -rf "$dest/root" "$dest/vmlinuz" && mkdir -p "$dest/root"
	(cd "$CACHE/dl" && rm -f "${pkg}"_*.deb && apt-get download -qq -o APT::Sandbox::User=root "$pkg" >&2)
	dpkg-deb -x "$CACHE/dl/${pkg}"_*.deb "$dest/root"
	cp "$dest/root/$kernel_path" "$dest/vmlinuz"
	rm -f "$CACHE/dl/${pkg}"_*.deb
	touch "$dest/.done"
}

# Unpack a kernel's headers into the cache: the arch package, the common
# one it includes and the kbuild tools they link to. Never `apt-get
# install` them: linux-headers-6.12.* depends on its linux-image, which would
# land in /boot and change what this machine boots. The arch Makefile
# includes the common one by absolute path; point it into the cache.
fetch_headers() {
	local kver=$1 pkg=$2 dest=$CACHE/kernels/$1/hdr deps common kbuild p
	[ -f "$dest/.done" ] && return
	deps=$(apt-cache depends "$pkg" | awk '/Depends:/ { print $2 }')
	common=$(echo "$deps" | grep -E '^linux-headers-.*-common(-rt)?$' | head -n1)
	kbuild=$(echo "$deps" | grep -E '^linux-kbuild-' | head -n1)
	if [ -z "$common" ] || [ -z "$kbuild" ]; then
		echo "deps: cannot tell the common/kbuild packages of $pkg" >&2
		exit 1
	fi
	log "fetching $pkg $common $kbuild"
	rm -rf "$dest" && mkdir -p "$dest"
	for p in "$pkg" "$common" "$kbuild"; do
		(cd "$CACHE/dl" && rm -f "${p}"_*.deb &&
			apt-get download -qq -o APT::Sandbox::User=root "$p" >&2)
		dpkg-deb -x "$CACHE/dl/${p}"_*.deb "$dest"
		rm -f "$CACHE/dl/${p}"_*.deb
	done
	sed -i "s|^include /usr/src/|include $dest/usr/src/|" \
		"$dest/usr/src/linux-headers-$kver/Makefile"
	touch "$dest/.done"
}

matrix=$BUILD/matrix.new
: >"$matrix"

for series in $SERIES; do
	case $series in
	6.1)
		hdr=$(newest_pkg 'linux-headers-6\.1\.0-[0-9]+-amd64')
		;;
	6.12)
		hdr=$(newest_pkg 'linux-headers-6\.12\.[0-9]+\+deb12-amd64')
		;;
	6.1-rt)
		hdr=$(newest_pkg 'linux-headers-6\.1\.0-[0-9]+-rt-amd64')
		;;
	6.12-rt)
		hdr=$(newest_pkg 'linux-headers-6\.12\.[0-9]+\+deb12-rt-amd64')
		;;
	6.12-debug)
		# built from linux-source-6.12 with the sanitizers, once:
		# by make check in a lane of its own (or by the script)
		echo "$("$here/scripts/debug-kernel.sh" --resolve) debug" >>"$matrix"
		continue
		;;
	7)
		kver=$("$here/scripts/sid.sh" ensure)
		echo "$kver $("$here/scripts/sid.sh" path)/usr/src/linux-headers-$kver" \
		     "$CACHE/kernels/$kver/vmlinuz $CACHE/kernels/$kver/modules sid" >>"$matrix"
		continue
		;;
	*)
		echo "deps: unknown kernel series '$series'" >&2
		exit 1
		;;
	esac
	if [ -z "$hdr" ]; then
		echo "deps: no linux-headers for $series in the apt lists" >&2
		exit 1
	fi
	kver=${hdr#linux-headers-}
	fetch_headers "$kver" "$hdr"
	fetch_image "$kver" "linux-image-$kver" "boot/vmlinuz-$kver"
	echo "$kver $CACHE/kernels/$kver/hdr/usr/src/linux-headers-$kver" \
	     "$CACHE/kernels/$kver/vmlinuz" \
	     "$CACHE/kernels/$kver/root/lib/modules/$kver host" >>"$matrix"
done
mv "$matrix" "$BUILD/matrix"

# The real tools the tools suite runs in the VM: perf (linux-perf, a
# userspace package, not a kernel one) and sid's newest intel-gpu-tools,
# staged with the sid chroot's own loader and libraries (whatever kernels
# run: the suite runs it on each).
install_pkgs linux-perf
"$here/scripts/sid.sh" tools >/dev/null

# promtool (`promtool check metrics` validates the exporter's output) from
# Debian's prometheus package, unpacked into the cache: never `apt-get
# install` it, its postinst starts a Prometheus server.  promtool is a Go
# binary that needs only libc.  $CACHE/tools/prometheus/current links to
# the version in use; the tests find promtool there (PROMTOOL overrides).
promver=$(apt-cache policy prometheus | awk '/Candidate:/ { print $2 }')
if [ -z "$promver" ] || [ "$promver" = "(none)" ]; then
	echo "deps: no prometheus package in the apt lists (needed for promtool)" >&2
	exit 1
fi
promdir=$CACHE/tools/prometheus/$promver
if [ ! -f "$promdir/.done" ]; then
	log "fetching promtool from prometheus $promver"
	rm -rf "$promdir" && mkdir -p "$promdir/x"
	(cd "$CACHE/dl" && rm -f prometheus_*.deb &&
		apt-get download -qq -o APT::Sandbox::User=root "prometheus=$promver" >&2)
	dpkg-deb --fsys-tarfile "$CACHE/dl"/prometheus_*.deb |
		tar -x -C "$promdir/x" ./usr/bin/promtool
	mv "$promdir/x/usr/bin/promtool" "$promdir/promtool"
	rm -rf "$promdir/x" "$CACHE/dl"/prometheus_*.deb
	missing=$(ldd "$promdir/promtool" 2>&1 | grep 'not found' || true)
	if [ -n "$missing" ]; then
		echo "deps: promtool needs libraries this machine lacks:" >&2
		echo "$missing" >&2
		exit 1
	fi
	"$promdir/promtool" --version >/dev/null
	touch "$promdir/.done"
fi
ln -sfn "$promdir" "$CACHE/tools/prometheus/current"

# kselftest harness and checkpatch come from the newest linux-source-6.12.
src=$(newest_pkg 'linux-source-6\.12')
srcver=$(apt-cache policy "$src" | awk '/Candidate:/ { print $2 }')
srcdir=$CACHE/src/$srcver
if [ ! -f "$srcdir/.done" ]; then
	log "extracting kselftest harness and checkpatch from $src $srcver"
	rm -rf "$srcdir" && mkdir -p "$srcdir/x"
	(cd "$CACHE/dl" && rm -f "${src}"_*.deb && apt-get download -qq -o APT::Sandbox::User=root "$src" >&2)
	dpkg-deb --fsys-tarfile "$CACHE/dl/${src}"_*.deb |
		tar -x -C "$srcdir/x" --wildcards '*.tar.xz'
	tar -xJf "$srcdir"/x/usr/src/*.tar.xz -C "$srcdir/x" --wildcards --strip-components=1 \
		'*/tools/testing/selftests/kselftest_harness.h' \
		'*/tools/testing/selftests/kselftest.h' \
		'*/scripts/checkpatch.pl' '*/scripts/spelling.txt' \
		'*/scripts/const_structs.checkpatch' '*/scripts/headers_install.sh'
	cp "$srcdir"/x/tools/testing/selftests/kselftest_harness.h \
	   "$srcdir"/x/tools/testing/selftests/kselftest.h "$srcdir/"
	mkdir -p "$srcdir/scripts"
	cp "$srcdir"/x/scripts/* "$srcdir/scripts/"
	rm -rf "$srcdir/x" "$CACHE/dl/${src}"_*.deb
	touch "$srcdir/.done"
fi
ln -sfn "$srcdir" "$CACHE/src/current"
echo "$srcdir" >"$BUILD/srcdir"
log "matrix:"
sed 's/^/deps:   /' "$BUILD/matrix" >&2
