#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# `make bench`: the read-cost and memory benchmark (selftests/bench/bench.c)
# in one VM run per kernel of the matrix.  Prints figures; not a test.
# Needs `make check` (or scripts/deps.sh + a build) to have run once.
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
export BUILD=${BUILD:-$here/build}
"$here/scripts/deps.sh"
make -s -C "$here/selftests" O="$BUILD/tests" HARNESS_DIR="$(cat "$BUILD/srcdir")"
make -s -C "$here/selftests/bench" O="$BUILD/bench-bin"

while read -r kver kdir vmlinuz modtree builder; do
	out=$BUILD/$kver
	[ -f "$out/art/nsgpuperf.ko" ] ||
		"$here/scripts/build-kernel.sh" "$kver" "$kdir" "$builder" "$out"
	art=$BUILD/bench/$kver
	rm -rf "$art" && mkdir -p "$art/tests"
	cp "$out"/art/*.ko "$art/"
	cp "$BUILD/bench-bin/bench" "$BUILD/bench-bin/usage_bench" "$art/tests/"
	printf 'bench %s\nusage_bench\n' "${NSGPUPERF_BENCH_ARGS:-}" >"$art/tests/suites"
	NSGPUPERF_VM_TIMEOUT=1200 "$here/selftests/vm/run.sh" "$kver" "$vmlinuz" \
		"$modtree" "$art" "$art/vm" 2>/dev/null || true
	echo "== $kver"
	tr -d '\r' <"$art/vm/tap.log" | grep -av '^@@'
done <"$BUILD/matrix"
