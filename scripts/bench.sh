#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# `make bench`: the read-cost and memory benchmark (selftests/bench/bench.c),
# the usage benchmark, the read latency under load (load_bench.c, with
# the floor module selftests/bench/floor) and the reader's CPU time per
# sample against intel_gpu_top's (reader_bench.c) in one VM run per kernel
# of the matrix.  Prints figures; not a test.
# Needs `make check` (or scripts/deps.sh + a build) to have run once.
#
# Environment: NSGPUPERF_KERNELS (as for make check; default "6.1 6.12 7"), NSGPUPERF_BENCH
# (programs to run, default "bench usage_bench load_bench reader_bench"),
# NSGPUPERF_BENCH_ARGS / NSGPUPERF_LOAD_BENCH_ARGS (their arguments).
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
export BUILD=${BUILD:-$here/build}
# the figures are of the kernels users run, not the RT or debug builds
export NSGPUPERF_KERNELS=${NSGPUPERF_KERNELS:-6.1 6.12 7}
"$here/scripts/deps.sh"
make -s -C "$here/selftests" O="$BUILD/tests" HARNESS_DIR="$(cat "$BUILD/srcdir")"
make -s -C "$here/selftests/bench" O="$BUILD/bench-bin"
make -s -C "$here/userspace" O="$BUILD/userspace" all

while read -r kver kdir vmlinuz modtree builder; do
	out=$BUILD/$kver
	[ -f "$out/art/nsgpuperf.ko" ] && [ -f "$out/art/bench/nsgp_floor.ko" ] ||
		"$here/scripts/build-kernel.sh" "$kver" "$kdir" "$builder" "$out"
	art=$BUILD/bench/$kver
	rm -rf "$art" && mkdir -p "$art/tests"
	cp "$out"/art/*.ko "$out"/art/bench/*.ko "$art/"
	cp "$BUILD/bench-bin/bench" "$BUILD/bench-bin/usage_bench" \
		"$BUILD/bench-bin/load_bench" "$BUILD/bench-bin/reader_bench" \
		"$BUILD/userspace/nsgpuperf" "$art/tests/"
	for b in ${NSGPUPERF_BENCH:-bench usage_bench load_bench reader_bench}; do
		case $b in
		bench) echo "bench ${NSGPUPERF_BENCH_ARGS:-}" ;;
		load_bench) echo "load_bench ${NSGPUPERF_LOAD_BENCH_ARGS:-}" ;;
		*) echo "$b" ;;
		esac
	done >"$art/tests/suites"
	NSGPUPERF_VM_TIMEOUT=1200 "$here/selftests/vm/run.sh" "$kver" "$vmlinuz" \
		"$modtree" "$art" "$art/vm" 2>/dev/null || true
	echo "== $kver"
	tr -d '\r' <"$art/vm/tap.log" | grep -av '^@@'
done <"$BUILD/matrix"
