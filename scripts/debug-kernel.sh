#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The debug kernel of the matrix: Debian's linux-source-6.12 (the newest in
# the apt lists), configured with `make allnoconfig` plus
# scripts/debug-kernel.config (KASAN, lockdep, kmemleak, UBSAN,
# debugobjects, failslab), built once into the cache.  The cache key is the
# source package version and the fragment's hash: a new Debian upload or a
# changed fragment builds again, nothing else does.
#
#   scripts/debug-kernel.sh            build if needed; print
#                                      "KVER KDIR VMLINUZ MODTREE"
#   scripts/debug-kernel.sh --resolve  print that line, build nothing
#                                      (make check builds it in a lane)
#
# KDIR is the build tree (O=) with the sources beside it: out-of-tree
# modules build against it as against installed headers.  The objects are
# deleted after the build; what module builds read stays.  The build log
# and its duration are kept in the cache entry (build.log, build-seconds).
#
# Environment: NSGPUPERF_CACHE (default ~/.cache/nsgpuperf),
# NSGPUPERF_JOBS (make -j, default the number of CPUs).
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
CACHE=${NSGPUPERF_CACHE:-$HOME/.cache/nsgpuperf}
fragment=$here/scripts/debug-kernel.config
jobs=${NSGPUPERF_JOBS:-$(nproc)}

log() { echo "debug-kernel: $*" >&2; }

src=$(apt-cache pkgnames | grep -E '^linux-source-6\.12$' | head -n1)
srcver=$(apt-cache policy "$src" | awk '/Candidate:/ { print $2 }')
if [ -z "$src" ] || [ -z "$srcver" ] || [ "$srcver" = "(none)" ]; then
	log "no linux-source-6.12 in the apt lists"
	exit 1
fi
key=$(sha256sum "$fragment" | cut -c1-12)
dest=$CACHE/kernels/debug-$srcver-$key

# the release the build will have: the upstream version of the source
# package and the fragment's LOCALVERSION
localversion=$(sed -n 's/^CONFIG_LOCALVERSION="\(.*\)"$/\1/p' "$fragment")
kver=${srcver%%-*}$localversion
line="$kver $dest/build $dest/vmlinuz $dest/root/lib/modules/$kver"
if [ "${1:-}" = --resolve ]; then
	echo "$line"
	exit 0
fi

# One build at a time: make check's two jobs of the debug kernel both ask
# for it; the second waits for the first's build.
mkdir -p "$CACHE/kernels"
exec 9>"$CACHE/kernels/.debug-kernel.lock"
flock 9

if [ ! -f "$dest/.done" ]; then
	t0=$(date +%s)
	rm -rf "$dest" && mkdir -p "$dest/build" "$CACHE/dl"
	log "fetching $src $srcver"
	(cd "$CACHE/dl" && rm -f "${src}"_*.deb &&
		apt-get download -qq -o APT::Sandbox::User=root "$src=$srcver" >&2)
	dpkg-deb --fsys-tarfile "$CACHE/dl/${src}"_*.deb |
		tar -xO --wildcards './usr/src/linux-source-*.tar.xz' |
		tar -xJ -C "$dest" --exclude='*/tools/testing/selftests'
	rm -f "$CACHE/dl/${src}"_*.deb
	mv "$dest"/linux-source-* "$dest/src"
	log "configuring (allnoconfig + $(basename "$fragment"))"
	make -s -C "$dest/src" O="$dest/build" allnoconfig KCONFIG_ALLCONFIG="$fragment" >&2
	# Every line of the fragment must hold: a line lost to a missing
	# dependency would quietly test less.
	lost=$(grep -E '^(CONFIG_|# CONFIG_)' "$fragment" | while read -r line; do
		grep -qxF "$line" "$dest/build/.config" || echo "  $line"
	done)
	if [ -n "$lost" ]; then
		log "the config lost these lines of $(basename "$fragment") (a dependency is missing):"
		echo "$lost" >&2
		exit 1
	fi
	built=$(make -s -C "$dest/src" O="$dest/build" kernelrelease)
	if [ "$built" != "$kver" ]; then
		log "the source builds $built, not $kver"
		exit 1
	fi
	log "building $kver with $jobs jobs (log: $dest/build.log)"
	if ! make -C "$dest/build" -j"$jobs" bzImage modules >"$dest/build.log" 2>&1 ||
		! make -C "$dest/build" modules_install INSTALL_MOD_PATH="$dest/root" \
			>>"$dest/build.log" 2>&1; then
		tail -n 30 "$dest/build.log" >&2
		log "build failed (log: $dest/build.log)"
		exit 1
	fi
	cp "$dest/build/arch/x86/boot/bzImage" "$dest/vmlinuz"
	rm -f "$dest/root/lib/modules/$kver/build" "$dest/root/lib/modules/$kver/source"
	# what out-of-tree builds need is the config, the generated headers,
	# the host tools, Module.symvers: not the objects
	find "$dest/build" \( -name '*.o' -o -name '*.a' -o -name '.*.cmd' \) -delete
	rm -f "$dest/build/vmlinux" "$dest/build/arch/x86/boot/compressed/vmlinux"
	echo $(($(date +%s) - t0)) >"$dest/build-seconds"
	log "built $kver in $(cat "$dest/build-seconds") s"
	touch "$dest/.done"
fi

echo "$line"
