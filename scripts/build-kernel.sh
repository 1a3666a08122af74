#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Build nsgpuperf.ko and the mock GPU for one kernel of the matrix, with
# W=1 and sparse (C=2); any compiler or sparse warning fails the build.
#
#   scripts/build-kernel.sh KVER KDIR BUILDER OUTDIR
#
# BUILDER is "host" (headers unpacked in the cache), "debug" (the debug
# kernel's build tree, scripts/debug-kernel.sh) or "sid" (the 7.x
# kernel, whose headers and gcc live in the chroot of scripts/sid.sh).
# The sources are copied to OUTDIR/src so that each kernel builds in its own
# tree; the modules land in OUTDIR/art.
set -euo pipefail

kver=$1 kdir=$2 builder=$3 out=$4
here=$(cd "$(dirname "$0")/.." && pwd)

rm -rf "$out/src" "$out/art"
mkdir -p "$out/src" "$out/art"
cp -r "$here/module" "$here/uapi" "$out/src/"
mkdir -p "$out/src/selftests"
cp -r "$here/selftests/mock" "$out/src/selftests/"
mkdir -p "$out/src/selftests/bench" && cp -r "$here/selftests/bench/floor" "$out/src/selftests/bench/"
# Stale objects from an in-place developer build must not leak in.
find "$out/src" \( -name '*.o' -o -name '*.ko' -o -name '*.mod*' -o -name '.*.cmd' \
	-o -name 'Module.symvers' -o -name 'modules.order' \) -delete

targets="module selftests/mock selftests/bench/floor"
case $builder in
host | debug)
	for t in $targets; do
		make -s -C "$kdir" M="$out/src/$t" W=1 C=2 modules
	done >"$out/build.log" 2>&1 || { cat "$out/build.log"; exit 1; }
	;;
sid)
	kdir_in=/usr/src/linux-headers-$kver
	cmd=""
	for t in $targets; do
		cmd="$cmd make -s -C $kdir_in M=/build/$kver/src/$t W=1 C=2 modules &&"
	done
	"$here/scripts/sid.sh" run "$kver" "$out/src" sh -c "$cmd true" \
		>"$out/build.log" 2>&1 || { cat "$out/build.log"; exit 1; }
	;;
*)
	echo "build-kernel.sh: unknown builder $builder" >&2
	exit 1
	;;
esac

if grep -E 'warning:|error:|C=2 specified' "$out/build.log"; then
	echo "build-kernel.sh: $kver: warnings (W=1 / sparse C=2) - see above" >&2
	exit 1
fi
cp "$out/src/module/nsgpuperf.ko" "$out/src/selftests/mock/mock_i915.ko" "$out/art/"
# The benchmark's floor module: only `make bench` boots with it.
mkdir -p "$out/art/bench" && cp "$out/src/selftests/bench/floor/nsgp_floor.ko" "$out/art/bench/"
echo "build-kernel.sh: $kver: nsgpuperf.ko, mock_i915.ko and nsgp_floor.ko built clean (W=1, C=2)" >&2
