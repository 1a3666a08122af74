#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Boot one kernel in QEMU with the mock GPU and run the test suites.
#
#   selftests/vm/run.sh KVER VMLINUZ MODTREE ARTIFACTS OUTDIR
#
# KVER       kernel release (uname -r of VMLINUZ)
# VMLINUZ    kernel image
# MODTREE    that kernel's lib/modules/KVER tree (for drm.ko and friends)
# ARTIFACTS  directory with mock_i915.ko, nsgpuperf.ko and tests/: static
#            test binaries plus tests/suites, one suite command per line
#            ("name [args...]"; binaries are run from /tests)
# OUTDIR     gets console.log (kernel console), tap.log (suite output) and
#            result (one line: "<passed> <failed> <skipped>")
#
# The VM: busybox initramfs, no network, no display, and three PCI devices
# for the mock: two QEMU e1000 (vendor Intel, as every GPU i915 binds;
# 0000:00:02.0, the integrated-GPU slot, and 0000:00:05.0, a "discrete"
# GPU) and one QEMU edu (vendor 1234) at 0000:00:06.0, a non-Intel "i915"
# that nsgpuperf must ignore.  Nothing in the VM loads e1000.ko.  Debian's
# intel_gpu_top and perf and their libraries are copied in at their host
# paths, sid's intel_gpu_top with its own loader and libraries under /sid.
# Suite output goes to a second serial port so
# kernel messages cannot interleave with TAP.  Counting: the harness'
# "# Totals:" line of each suite; a suite that dies before it, exits
# non-zero with no failure counted, or a VM that times out counts as a
# failure.  Two extra checks per boot: one fails on any kernel
# BUG/WARNING/Oops, KFENCE/UBSAN report, list corruption, or a taint other
# than O/E (out-of-tree, unsigned: expected for our modules); one on any
# console line naming our modules that is not in its list of expected
# lines.  The console shows KERN_INFO (loglevel=7), so those lines are seen.
#
# Image mode (NSGPUPERF_VM_IMAGE=IMG, the LXC test VM): a copy of IMG (a
# raw ext4 root file system, scripts/lxc-image.sh; IMG itself is never
# written) is the VM's disk for this run.  The initramfs also holds
# virtio_pci, virtio_blk, ext4 and their dependencies (those the kernel
# does not have built in), mounts the disk, copies /tests, /modules and
# the in-tree modules onto it and switches root to it; init then runs the
# suites of tests/suites-lxc there with udevd running (see init).  A
# "@reboot" line in that list reboots the VM (at most twice): init powers
# off, QEMU starts again on the same disk, and the suites after the line
# run in the new boot.  README.md is /tests/README.md.
#
# Environment: NSGPUPERF_VM_TIMEOUT (seconds, default 900),
# NSGPUPERF_VM_CPUS (vCPUs, default 2; image mode 1),
# NSGPUPERF_ACCEL (tcg|kvm, default tcg),
# NSGPUPERF_SUITES (space-separated suite names to run, default all; a
# "@reboot" line is kept between two suites that are),
# NSGPUPERF_SID_TOOLS (sid's staged tools, default $NSGPUPERF_CACHE/sid/tools),
# NSGPUPERF_VM_IMAGE (image mode, above),
# NSGPUPERF_TIMEOUT_SCALE (multiplies the suites' per-test timeouts),
# NSGPUPERF_CHURN_SECS (churn_test's duration).
set -euo pipefail
shopt -s nullglob

kver=$1 vmlinuz=$2 modtree=$3 art=$4 out=$5
timeout_s=${NSGPUPERF_VM_TIMEOUT:-900}
here=$(cd "$(dirname "$0")" && pwd)
image=${NSGPUPERF_VM_IMAGE:-}
suites=$art/tests/suites
[ -n "$image" ] && suites=$art/tests/suites-lxc

rm -rf "$out" && mkdir -p "$out"
if [ -n "$image" ] && [ ! -f "$image" ]; then
	echo "run.sh: no image $image" >&2
	exit 1
fi
root=$out/initramfs
mkdir -p "$root"/{bin,sbin,etc,proc,sys,dev,tmp,run,modules,tests,lib/modules/"$kver"}
cp /bin/busybox "$root/bin/busybox"

# Resolve the in-tree modules ours need (drm.ko on Debian), dependencies
# first, decompressed so that busybox insmod can load them.
declare -A seen=()
order=()
find_module() {
	find "$modtree/kernel" -name "$1.ko" -o -name "$1.ko.xz" -o -name "$1.ko.zst" |
		head -n1
}
add_deps() {
	local ko=$1 dep path
	for dep in $(modinfo -F depends "$ko" | tr ',' ' '); do
		[ -n "${seen[$dep]:-}" ] && continue
		seen[$dep]=1
		path=$(find_module "$dep")
		if [ -z "$path" ]; then
			echo "run.sh: module $dep (needed by $ko) not in $modtree" >&2
			exit 1
		fi
		add_deps "$path"
		case $path in
		*.xz) xz -dc "$path" >"$root/lib/modules/$kver/$dep.ko" ;;
		*.zst) zstd -qdc "$path" >"$root/lib/modules/$kver/$dep.ko" ;;
		*) cp "$path" "$root/lib/modules/$kver/$dep.ko" ;;
		esac
		order+=("$dep")
	done
}
# Image mode: what mounting the root disk needs, in load order, in
# /etc/kmods-root, loaded by the initramfs (the list of the rest, below,
# leaves them out).  Modules the kernel has built in are skipped;
# crc32c_generic: ext4's checksums, on kernels whose ext4 asks the crypto
# API for crc32c and have it as a module.
if [ -n "$image" ]; then
	for m in virtio_pci virtio_blk crc32c_generic ext4; do
		path=$(find_module "$m")
		if [ -z "$path" ]; then
			grep -qE "/${m//_/[_-]}\.ko" "$modtree/modules.builtin" ||
				[ "$m" = crc32c_generic ] || {
				echo "run.sh: module $m neither in $modtree nor built in" >&2
				exit 1
			}
			continue
		fi
		add_deps "$path"
		seen[$m]=1
		case $path in
		*.xz) xz -dc "$path" >"$root/lib/modules/$kver/$m.ko" ;;
		*.zst) zstd -qdc "$path" >"$root/lib/modules/$kver/$m.ko" ;;
		*) cp "$path" "$root/lib/modules/$kver/$m.ko" ;;
		esac
		order+=("$m")
	done
	printf '%s\n' "${order[@]}" >"$root/etc/kmods-root"
	order=()
	# what depmod and modprobe read besides the modules (a host has them)
	for f in modules.order modules.builtin modules.builtin.modinfo; do
		[ -f "$modtree/$f" ] && cp "$modtree/$f" "$root/lib/modules/$kver/"
	done
fi

for ko in "$art"/*.ko; do
	add_deps "$ko"
	cp "$ko" "$root/modules/"
done
printf '%s\n' "${order[@]}" >"$root/etc/kmods"

# The real perf (linux-perf, installed by scripts/deps.sh) and its
# libraries at their host paths, as /usr/bin/perf: the binary itself (some
# releases ship perf_<version> behind linux-base's wrapper, which picks by
# uname).  sid's newest intel_gpu_top with sid's own loader and libraries
# (scripts/sid.sh tools) under /sid: run it as
# /sid/lib/ld-linux-x86-64.so.2 --library-path /sid/lib /sid/bin/intel_gpu_top.
perf=$(find /usr/bin -maxdepth 1 -name 'perf_[0-9]*' | sort -V | tail -n1)
perf=${perf:-/usr/bin/perf}
if [ ! -x "$perf" ] || [ "$(head -c4 "$perf")" != $'\x7fELF' ]; then
	echo "run.sh: $perf missing or not a binary (scripts/deps.sh installs linux-perf)" >&2
	exit 1
fi
for f in $(ldd "$perf" | awk '$2 == "=>" && $3 ~ /^\// { print $3 }
			    $1 ~ /^\// { print $1 }'); do
	mkdir -p "$root$(dirname "$f")"
	cp -L "$f" "$root$f"
done
mkdir -p "$root/usr/bin"
cp "$perf" "$root/usr/bin/perf"
sidtools=${NSGPUPERF_SID_TOOLS:-${NSGPUPERF_CACHE:-$HOME/.cache/nsgpuperf}/sid/tools}
if [ ! -f "$sidtools/bin/intel_gpu_top" ]; then
	echo "run.sh: $sidtools/bin/intel_gpu_top missing (scripts/sid.sh tools stages it)" >&2
	exit 1
fi
cp -a "$(realpath "$sidtools")/." "$root/sid/"
# which versions ran, for the suites' logs
dpkg-query -W -f='${Package} ${Version}\n' intel-gpu-tools linux-perf >"$root/etc/tool-versions"

# The real intel_gpu_top (intel-gpu-tools, installed by scripts/deps.sh)
# and the shared libraries it links, at their host paths.
igt=/usr/bin/intel_gpu_top
if [ ! -x "$igt" ]; then
	echo "run.sh: $igt missing (scripts/deps.sh installs intel-gpu-tools)" >&2
	exit 1
fi
for f in "$igt" $(ldd "$igt" | awk '$2 == "=>" && $3 ~ /^\// { print $3 }
				   $1 ~ /^\// { print $1 }'); do
	mkdir -p "$root$(dirname "$f")"
	cp -L "$f" "$root$f"
done

# tmux, for the live view under a real terminal (top_test), with its
# libraries, the terminfo entry of the TERM its panes get (Debian's
# default-terminal, tmux-256color) and glibc's C.UTF-8 locale (tmux
# refuses to start without a UTF-8 one).
for f in /usr/bin/tmux $(ldd /usr/bin/tmux | awk '$2 == "=>" && $3 ~ /^\// { print $3 }'); do
	mkdir -p "$root$(dirname "$f")"
	cp -L "$f" "$root$f"
done
tinfo=$(find /lib/terminfo /usr/share/terminfo -name tmux-256color 2>/dev/null | head -n1)
mkdir -p "$root$(dirname "$tinfo")" && cp "$tinfo" "$root$tinfo"
mkdir -p "$root/usr/lib/locale" && cp -r /usr/lib/locale/C.utf8 "$root/usr/lib/locale/"

# Dynamic test helpers (tests/perf-probe*, the LD_PRELOAD libraries, the
# nsgpuperf reader): their loader and libraries at their host paths too
# (musl's loader is its libc); the reader names GPUs from pci.ids.
for bin in "$art"/tests/perf-probe* "$art"/tests/*.so "$art"/tests/nsgpuperf; do
	for f in $(readelf -l "$bin" 2>/dev/null | sed -n 's/.*interpreter: \(.*\)]$/\1/p') \
		$(ldd "$bin" 2>/dev/null | awk '$2 == "=>" && $3 ~ /^\// { print $3 }'); do
		mkdir -p "$root$(dirname "$f")"
		cp -L "$f" "$root$f"
	done
done

if [ -f /usr/share/misc/pci.ids ]; then
	mkdir -p "$root/usr/share/misc"
	cp -L /usr/share/misc/pci.ids "$root/usr/share/misc/pci.ids"
fi
cp -a "$art/tests/." "$root/tests/"
# The suite list the VM runs is /tests/suites (image mode: suites-lxc).
# NSGPUPERF_SUITES keeps the named suites, and a "@reboot" line only
# between two kept suites.
awk -v want="${NSGPUPERF_SUITES:-}" '
	BEGIN { n = split(want, w, " "); for (i = 1; i <= n; i++) keep[w[i]] = 1 }
	$1 == "@reboot" { if (ran) pending = 1; next }
	n && !($1 in keep) { next }
	{ if (pending) print "@reboot"; pending = 0; ran = 1; print }
' "$suites" >"$root/tests/suites"
if [ -n "$image" ]; then
	if [ ! -s "$root/tests/suites" ]; then
		echo "run.sh: $kver: no suite of $suites selected: no VM" >&2
		echo "0 0 0" >"$out/result"
		exit 0
	fi
	cp "$here/../../README.md" "$root/tests/README.md"
fi
cp "$here/init" "$root/init"
chmod +x "$root/init"
# Image mode: not compressed (unpacked at every boot; gunzip under TCG
# costs the guest about 2 s more each time).
initrd=$out/initramfs.cpio.gz
if [ -n "$image" ]; then
	initrd=$out/initramfs.cpio
	(cd "$root" && find . | cpio -o -H newc --quiet) >"$initrd"
else
	(cd "$root" && find . | cpio -o -H newc --quiet | gzip -1) >"$initrd"
fi

# TCG by default: nested KVM on these machines hangs the guest at boot.
accel=${NSGPUPERF_ACCEL:-tcg}
case $accel in
kvm) accel_args=(-accel kvm) ;;
*) accel_args=(-accel tcg,thread=multi) ;;
esac

# Image mode: a copy of the image is the disk (at 00:07.0, clear of the
# mock's slots), kept across the boots of this run and deleted after it
# (NSGPUPERF_VM_KEEP_DISK=1 keeps it).  A reboot is a new QEMU process on
# the same disk: init powers off after "@@REBOOT", and this boots again
# (at most MAX_BOOTS times).  Not a guest reboot in one QEMU: after one,
# TCG unpacked the initramfs 5-70x slower (soft lockups).
append="console=ttyS0 loglevel=7 panic=-1 rdinit=/init"
# In QEMU's multi-threaded TCG a vCPU can run kernel text another vCPU has
# just live-patched and Oops on a leftover int3 (seen at boot: the
# sched_clock-stable key flipped by a late initcall under a running
# second vCPU).  So the kernel boots on one CPU (maxcpus=1) and init
# brings the others up once the boot's keys have flipped, perf's are held
# and our modules are loaded; noreplace-smp keeps the SMP lock prefixes
# in place instead of patching them out and back, no_ipi_broadcast=1
# keeps the IPI-shorthand key from flipping at every CPU up and down.
append+=" maxcpus=1 noreplace-smp no_ipi_broadcast=1"
# Settings for the suites, through the kernel command line (the kernel
# passes NAME=value words on to init's environment): the timeouts
# stretched on a slow kernel (selftests/lib/harness_timeout.c), the
# churn suite's duration.
for v in NSGPUPERF_TIMEOUT_SCALE NSGPUPERF_CHURN_SECS; do
	[ -n "${!v:-}" ] && append+=" $v=${!v}"
done
vm_args=()
cpus=${NSGPUPERF_VM_CPUS:-2}
max_boots=3
if [ -n "$image" ]; then
	if [ "${NSGPUPERF_VM_KEEP_DISK:-0}" != 1 ]; then
		trap 'rm -f "$out/disk.img"' EXIT
	fi
	cp --sparse=always "$image" "$out/disk.img"
	vm_args=(-drive "file=$out/disk.img,if=none,id=root,format=raw"
		 -device virtio-blk-pci,drive=root,addr=07.0)
	# No AppArmor: the image has no apparmor_parser to load LXC's
	# profiles (a Debian host's apparmor.service does), and LXC fails
	# to start a container whose profile is not loaded.
	append+=" vmroot=/dev/vda apparmor=0"
	# One vCPU: with two, on a loaded host, udev's coldplug and
	# lxc-create ran 2x slower (cross-CPU IPIs wait for a descheduled
	# vCPU thread).
	cpus=${NSGPUPERF_VM_CPUS:-1}
fi

start=$(date +%s)
boots=0
set +e
while :; do
	boots=$((boots + 1))
	left=$((start + timeout_s - $(date +%s)))
	[ "$left" -gt 0 ] || break
	timeout --signal=KILL "$left" qemu-system-x86_64 "${accel_args[@]}" \
		-m 2048 -smp "$cpus" -nographic -no-reboot -vga none -nic none "${vm_args[@]}" \
		-device e1000,addr=02.0,romfile= -device e1000,addr=05.0,romfile= \
		-device edu,addr=06.0 \
		-kernel "$vmlinuz" -initrd "$initrd" \
		-append "$append" \
		-chardev "file,id=con,path=$out/console.log,append=on" -serial chardev:con \
		-chardev "file,id=tap,path=$out/tap.log,append=on" -serial chardev:tap \
		-monitor none </dev/null >>"$out/qemu.log" 2>&1
	qrc=$?
	# boot again only when the VM asked for it
	[ -n "$image" ] && [ "$boots" -lt "$max_boots" ] &&
		grep -a '^@@' "$out/tap.log" | tail -n1 | grep -q '^@@REBOOT ' || break
done
set -e
echo "run.sh: $kver VM ran $(($(date +%s) - start)) s ($accel${image:+, image, $boots boots})" >&2

awk -v qrc="$qrc" -v kver="$kver" '
	{ sub(/\r$/, "") }
	/^@@BOOT / {
		if (suite != "") { n++; print "not ok - " kver " " suite ": VM rebooted inside the suite" }
		if ($3 == "unexpected") { n++; print "not ok - " kver ": boot " $2 " nobody asked for (a panic?)" }
		suite = ""; next
	}
	/^@@REBOOT_REFUSED/ { n++; print "not ok - " kver ": @reboot refused (" $2 " reboots already)"; next }
	/^@@SUITE / { suite = $2; totals = 0; next }
	/^# Totals: / {
		split($0, f, /[: ]+/)
		for (i = 1; i in f; i++) {
			if (f[i] == "pass") p += f[i + 1]
			if (f[i] == "fail" || f[i] == "error" || f[i] == "xpass") { n += f[i + 1]; nf += f[i + 1] }
			if (f[i] == "skip") s += f[i + 1]
		}
		totals = 1
	}
	/^@@RC / {
		if (!totals) { n++; print "not ok - " kver " " $2 ": suite ended without totals (rc " $3 ")" }
		else if ($3 != 0 && !nf) { n++; print "not ok - " kver " " $2 ": exit code " $3 " with no failure counted" }
		suite = ""; nf = 0; next
	}
	/^@@TAINT / { taint = taint (taint == "" ? "" : ",") $2 }
	/^@@DONE/ { done = 1 }
	END {
		if (suite != "") { n++; print "not ok - " kver " " suite ": VM stopped inside the suite" }
		if (!done) { n++; print "not ok - " kver ": VM did not finish (qemu rc " qrc ")" }
		printf "%d %d %d %s\n", p, n, s, taint > "/dev/stderr"
	}' "$out/tap.log" 2>"$out/counts" | tee "$out/failures" >&2
read -r passed failed skipped taint <"$out/counts"

# Kernel log checks: counted as two tests per boot.
# A memory-cgroup OOM report (limits_test drives a container into its
# memory.max on purpose) carries a call trace: its block is taken out; a
# global OOM's is not.
awk '
	/invoked oom-killer:/ { inblock = 1; n = 0 }
	inblock { block[n++] = $0; if ($0 ~ /CONSTRAINT_MEMCG|Memory cgroup out of memory/) memcg = 1 }
	inblock && /Killed process/ {
		if (!memcg) for (i = 0; i < n; i++) print block[i]
		inblock = 0; memcg = 0; next
	}
	!inblock { print }
	END { if (inblock) for (i = 0; i < n; i++) print block[i] }
' "$out/console.log" >"$out/console-checked.log"
# Debug kernels add KASAN (BUG: KASAN), lockdep (WARNING:/INFO:, and the
# validator turning itself off), debugobjects (ODEBUG) and kmemleak
# switching itself off.
bad=$(grep -aE 'BUG:|WARNING:|INFO:|Oops|KFENCE|KASAN|UBSAN|ODEBUG|list_add corruption|list_del corruption|general protection|Call Trace|turning off the locking correctness validator|kmemleak: .*disabled' \
	"$out/console-checked.log" | head -n 20 || true)
# One taint per boot, comma-separated.
taint_bad=0
for t in ${taint//,/ }; do
	if [ $((t & ~(4096 | 8192))) -ne 0 ]; then
		taint_bad=1
	fi
done
if [ -n "$bad" ] || [ "$taint_bad" = 1 ]; then
	echo "not ok - $kver: kernel log has warnings or taint ${taint:-?}:" >&2
	echo "$bad" | sed 's/^/#   /' >&2
	echo "#   (full log: $out/console.log)" >&2
	failed=$((failed + 1))
else
	passed=$((passed + 1))
fi

# Every console line that names our modules (or a function of theirs,
# nsgp_*) must be one of the lines they are expected to print: a kernel
# complaint about them (a deprecated API, a stack trace, a lockdep report)
# fails the run even where the check above has no pattern for it.
ours='nsgpuperf|mock_i915|nsgp_'
expected='^(nsgpuperf|mock_i915): loading out-of-tree module taints kernel\.$'
expected+='|^(nsgpuperf|mock_i915): module verification failed: signature and/or required key missing - tainting kernel$'
expected+='|^nsgpuperf: GPU [0-9]+ \([0-9a-f:.]+, [a-z0-9_]+\): (PMU [A-Za-z0-9_.]+, type [0-9]+, [0-9]+ events|no PMU found)$'
expected+='|^nsgpuperf: open denied to pid [0-9]+ \(.*\): [A-Za-z0-9_ /]+$'
expected+='|^nsgpuperf: [0-9]+ similar denial lines suppressed$'
expected+='|^nsgpuperf: character major [0-9]+ is taken \(see /proc/devices\): load with major=<a free one from 60-63 or 120-127>$'
unexpected=$(sed -E 's/\r$//; s/^\[ *[0-9]+\.[0-9]+\] //' "$out/console-checked.log" |
	grep -aE "$ours" | grep -avE "$expected" | head -n 20 || true)
if [ -n "$unexpected" ]; then
	echo "not ok - $kver: kernel log has unexpected lines naming our modules:" >&2
	echo "$unexpected" | sed 's/^/#   /' >&2
	echo "#   (full log: $out/console.log)" >&2
	failed=$((failed + 1))
else
	passed=$((passed + 1))
fi
# Debug kernels (kmemleak): init lists what kmemleak reports after two
# scans at the end of each boot (@@KMEMLEAK lines).  An object whose
# allocation backtrace runs through our modules is a leak of ours; a frame
# left as a bare module address is one of a module unloaded since (only
# ours and drm come and go).  Others are shown, not counted: the issue is
# our code, and a minimal kernel has its own known false positives.
if grep -aq '^@@KMEMLEAK begin' "$out/tap.log"; then
	sed -n 's/\r$//; /^@@KMEMLEAK \(begin\|end\)$/d; s/^@@KMEMLEAK //p' "$out/tap.log" |
		awk -v ours="$ours"'|\\] 0xffffffffc0' -v leaks="$out/kmemleak-ours.log" '
		function flush() { if (blk != "") { if (blk ~ ours) { print blk > leaks; n++ } else m++ } blk = "" }
		/^unreferenced object/ { flush() }
		{ blk = blk $0 "\n" }
		END { flush(); printf "%d %d\n", n, m }' >"$out/kmemleak.counts"
	read -r leaks_ours leaks_other <"$out/kmemleak.counts"
	if [ "$leaks_ours" -gt 0 ]; then
		echo "not ok - $kver: kmemleak: $leaks_ours unreferenced objects allocated through our modules:" >&2
		head -n 40 "$out/kmemleak-ours.log" | sed 's/^/#   /' >&2
		failed=$((failed + 1))
	else
		echo "# $kver: kmemleak: none of ours ($leaks_other other unreferenced objects)" >&2
		passed=$((passed + 1))
	fi
fi
# how long each suite ran (seconds), for the notes
awk '/^@@RC / && $4 != "" { printf "%s%s %ss", sep, $2, $4; sep = ", " } END { if (sep) print "" }' \
	"$out/tap.log" | tr -d '\r' | sed "s/^/run.sh: $kver suite times: /" >&2
echo "$passed $failed $skipped" >"$out/result"
echo "run.sh: $kver: $passed passed, $failed failed, $skipped skipped" >&2
