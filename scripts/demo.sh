#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# `make demo`: with no Intel GPU needed, boot a Debian kernel in QEMU with
# the mock i915 GPU under load on a Debian bookworm root with LXC 5.0.2
# (scripts/lxc-image.sh: built once, ~2 min, then cached), grant an
# unprivileged LXC container the GPU with `nsgpuperf host grant`, and read
# its counters from inside it.
# NSGPUPERF_DEMO_KERNEL picks the series (default 6.12; 6.1 or 7 also work).
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
export BUILD=${BUILD:-$here/build}
series=${NSGPUPERF_DEMO_KERNEL:-6.12}

NSGPUPERF_KERNELS=$series BUILD=$BUILD/demo "$here/scripts/deps.sh"
read -r kver kdir vmlinuz modtree builder <"$BUILD/demo/matrix"
out=$BUILD/demo/$kver
"$here/scripts/build-kernel.sh" "$kver" "$kdir" "$builder" "$out"

tests=$out/art/tests
mkdir -p "$tests"
# The reader as users get it (make static: no library needed in the VM)
# and the perf_event_open shim for Debian's own intel_gpu_top.
make -s -C "$here/userspace" O="$BUILD/demo/userspace" static \
	STATIC_PREFIX="$("$here/scripts/static-deps.sh")"
cp "$BUILD/demo/userspace/static/nsgpuperf" "$tests/"
make -s -C "$here/userspace" O="$tests" "$tests/libnsgpuperf-preload.so"
make -s -C "$here/selftests" O="$BUILD/demo/tools" \
	HARNESS_DIR="$(cat "$BUILD/demo/srcdir")" "$BUILD/demo/tools/userns-exec"
cp "$BUILD/demo/tools/userns-exec" "$here/selftests/vm/demo.sh" "$tests/"
echo "demo.sh" >"$tests/suites-lxc"
image=$("$here/scripts/lxc-image.sh")

echo "Booting Debian $kver in QEMU with two mock i915 GPUs and LXC..."
: >"$out/vm.tap"
NSGPUPERF_VM_IMAGE=$image NSGPUPERF_VM_TIMEOUT=600 "$here/selftests/vm/run.sh" "$kver" "$vmlinuz" "$modtree" \
	"$out/art" "$out/vm" 2>"$out/run.log" || true
tr -d '\r' <"$out/vm/tap.log" | grep -av '^@@'
if ! grep -q '### demo done' "$out/vm/tap.log"; then
	echo "demo: the VM did not finish; see $out/vm/console.log and $out/run.log" >&2
	exit 1
fi
