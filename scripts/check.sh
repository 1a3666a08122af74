#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# `make check`: install what is missing, build everything for every kernel of
# the matrix (W=1, sparse), run the host-side checks and the VM suites on
# each kernel, and end with one line "N passed, N failed" (a skipped test
# is not a pass).
#
# Each kernel boots twice: the busybox VM with selftests/suites, and the
# LXC test VM (a Debian bookworm image with LXC 5.0.2, scripts/lxc-image.sh,
# built once and cached) with selftests/suites-lxc (its logs in
# $BUILD/<kver>/vm-lxc).
#
# The matrix (scripts/deps.sh): Debian's 6.1 and 6.12, sid's 7.x, the
# PREEMPT_RT flavours of 6.1 and 6.12, and the debug kernel (KASAN,
# lockdep, kmemleak, UBSAN, debugobjects, failslab; scripts/debug-kernel.sh,
# built on first use in its lane).  Kernels run two at a time, each in a
# lane of its own (the debug kernel's two VMs as two jobs); their logs are
# printed in matrix order at the end.
#
# Environment: NSGPUPERF_KERNELS (series, default
# "6.12-debug 6.1 6.12 7 6.1-rt 6.12-rt"), NSGPUPERF_LANES (kernels at
# once, default 2),
# NSGPUPERF_SUITES (VM suites of either list, default all),
# NSGPUPERF_DKMS=0 (skip the DKMS build, counted as skipped; for parallel
# developer runs), NSGPUPERF_LXC=0 (skip the LXC test VM, counted as
# skipped), NSGPUPERF_LXC_RT=0 (not on the RT kernels),
# NSGPUPERF_LXC_DEBUG=1 (the LXC test VM on the debug kernel too).
set -uo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-$here/build}
export BUILD
passed=0 failed=0 skipped=0
job_logs=()

pass() { passed=$((passed + 1)); echo "ok - $*"; }
fail() {
	failed=$((failed + 1))
	echo "not ok - $*"
	host_failures+="not ok - $*"$'\n'
}
# What failed, once more just above the last line: a CI log is often read
# from its tail, and the suites' output runs to thousands of lines.
recap() {
	local lines
	lines=$(grep -ahE '^not ok|^# [^:]+: (not ok|#  FAIL )' \
		/dev/stdin "${job_logs[@]}" 2>/dev/null <<<"$host_failures")
	[ -n "$lines" ] || return 0
	echo "# what failed ($(wc -l <<<"$lines") lines, the first 15):"
	head -15 <<<"$lines" | sed 's/^/#   /'
}
host_failures=
finish() {
	recap
	echo "# skipped: $skipped"
	echo "$passed passed, $failed failed"
	[ "$failed" -eq 0 ]
	exit
}

# DKMS from this checkout, as an admin would do it (make dkms-add).
# The kernel tree is the headers unpacked in the cache (--kernelsourcedir).
# One DKMS tree per machine: one lane at a time in it.
dkms_build() {
	local ver
	ver=$(sed -n 's/^PACKAGE_VERSION="\(.*\)"/\1/p' "$here/dkms.conf")
	(
		flock 9
		make -s -C "$here" dkms-add &&
			dkms build -m nsgpuperf -v "$ver" -k "$1" --kernelsourcedir "$2" &&
			dkms remove -m nsgpuperf -v "$ver" --all
	) 9>"$BUILD/.dkms.lock"
}

# Kernel packages installed on this machine (what it can boot), to prove
# that testing never changed them.
kernel_packages() {
	dpkg-query -W -f='${db:Status-Abbrev} ${Package} ${Version}\n' \
		'linux-image-*' 'linux-headers-*' 2>/dev/null | grep '^ii' | sort
}

t0=$(date +%s)
kernels_before=$(kernel_packages)
if ! "$here/scripts/deps.sh"; then
	fail "dependencies (scripts/deps.sh)"
	finish
fi
echo "# deps ready in $(($(date +%s) - t0)) s"
kernels_after=$(kernel_packages)
if [ "$kernels_before" = "$kernels_after" ] &&
	! grep -q ' /lib/modules/\| /usr/src/' <(awk '$5 == "host"' "$BUILD/matrix"); then
	pass "no kernel image or headers package installed; host kernels built from the cache"
else
	diff <(echo "$kernels_before") <(echo "$kernels_after")
	fail "the machine's kernel packages changed, or a kernel tree outside the cache is used"
fi

srcdir=$(cat "$BUILD/srcdir")
# The static libraries of the portable reader (built once into the cache).
if ! static_prefix=$("$here/scripts/static-deps.sh" 2>"$BUILD/static-deps.log"); then
	cat "$BUILD/static-deps.log"
	fail "static libraries for make static (scripts/static-deps.sh)"
	static_prefix=
fi
if make -s -C "$here/selftests" O="$BUILD/tests" HARNESS_DIR="$srcdir" \
	STATIC_PREFIX="$static_prefix" >"$BUILD/tests.log" 2>&1; then
	pass "selftests build (-Wall -Wextra -Werror, static)"
else
	cat "$BUILD/tests.log"
	fail "selftests build"
	finish
fi

# The userspace programs; the LD_PRELOAD library loads in every glibc
# from bookworm's on (its symbol versions) and builds for musl.
if make -s -C "$here/userspace" O="$BUILD/userspace" all musl check-symbols \
	>"$BUILD/userspace.log" 2>&1; then
	pass "userspace build; preload library needs no glibc newer than 2.36, musl build"
else
	cat "$BUILD/userspace.log"
	fail "userspace build or preload library symbol versions"
fi

# The reader's host tests (userspace/tests, kselftest harness): each TAP
# result line counts, as the VM suites' do.
if make -s -C "$here/userspace" O="$BUILD/userspace" HARNESS_DIR="$srcdir" test \
	>"$BUILD/userspace-test.log" 2>&1; then
	while read -r line; do
		case $line in
		"ok "*" # SKIP"*) skipped=$((skipped + 1)); echo "# host: $line" ;;
		"ok "*) pass "host: ${line#ok }" ;;
		"not ok "*) fail "host: ${line#not ok }" ;;
		esac
	done < <(grep -aE '^(not )?ok ' "$BUILD/userspace-test.log")
else
	cat "$BUILD/userspace-test.log"
	fail "userspace host tests build"
fi

# The man page: groff finds nothing to warn about, and it documents every
# long option the commands' --help lists.
man=$here/userspace/nsgpuperf.1
reader=$BUILD/userspace/nsgpuperf
if [ -z "$(groff -man -ww -z "$man" 2>&1)" ]; then
	pass "man page: groff -man -ww clean"
else
	groff -man -ww -z "$man" 2>&1 | head
	fail "man page: groff -man -ww"
fi
undocumented=
for opt in $( { "$reader" --help; "$reader" list --help; "$reader" exporter --help;
	"$reader" host --help; } 2>&1 |
	grep -oE -- '--[a-z][a-z-]+' | sort -u); do
	grep -qF -- "$(echo "$opt" | sed 's/-/\\-/g')" "$man" || undocumented+=" $opt"
done
if [ -x "$reader" ] && [ -z "$undocumented" ]; then
	pass "man page documents every option of nsgpuperf --help"
else
	fail "man page lacks:${undocumented:- (no $reader)}"
fi

# Host-side checks: the uapi header stands alone and is installable.
if make -s -C "$here" uapi-check HEADERS_INSTALL="$srcdir/scripts/headers_install.sh" \
	>"$BUILD/uapi.log" 2>&1; then
	pass "uapi header: headers_install.sh, C89 -pedantic, C++"
else
	cat "$BUILD/uapi.log"
	fail "uapi header checks"
fi

# Kernel style: checkpatch --strict (from Debian's linux-source) on every
# kernel source and the uapi header.
if make -s -C "$here" style CHECKPATCH="$srcdir/scripts/checkpatch.pl" >"$BUILD/style.log" 2>&1 &&
	! grep -qE '^(WARNING|ERROR|CHECK)' "$BUILD/style.log"; then
	pass "checkpatch --strict clean"
else
	grep -E -A3 '^(WARNING|ERROR|CHECK)' "$BUILD/style.log" | head -40
	fail "checkpatch --strict"
fi

# The LXC test VM's root image (debootstrap on first use, then cached).
lxc_image=
if [ "${NSGPUPERF_LXC:-1}" != 0 ]; then
	t1=$(date +%s)
	if lxc_image=$("$here/scripts/lxc-image.sh" 2>"$BUILD/lxc-image.log"); then
		pass "LXC test VM image ($(($(date +%s) - t1)) s: $lxc_image)"
	else
		cat "$BUILD/lxc-image.log"
		fail "LXC test VM image (scripts/lxc-image.sh)"
		lxc_image=
	fi
fi

# One VM run: counted, its failures shown from its TAP log.
vm_run() {
	local kver=$1 what=$2 outdir=$3 t1=$4 p f s
	if [ -f "$outdir/result" ]; then
		read -r p f s <"$outdir/result"
	else
		p=0 f=1 s=0
	fi
	# Show the suites' TAP so a failure can be read from the CI log.
	grep -aE '^(not ok|ok|#  ?(RUN|OK|FAIL|SKIP)|# .*(fail|Totals|expected|Expected))' \
		"$outdir/tap.log" 2>/dev/null | tr -d '\r' | grep -avE '^ok|#  ?(RUN|OK)' |
		sed "s|^|# $what: |" || true
	passed=$((passed + p)) failed=$((failed + f)) skipped=$((skipped + s))
	echo "# $what: $p passed, $f failed, $s skipped ($(($(date +%s) - t1)) s)"
}

# One job of the matrix, in a lane of its own: a kernel's busybox VM
# ("busybox"), its LXC test VM ("lxc"), or both ("all").  Its output goes
# to $BUILD/<kver>/check-<part>.log, its counts to check-<part>.counts.
# The debug kernel's two VMs are two jobs, so that both lanes can run it
# once it is built.
kernel_job() {
	local kver=$1 kdir=$2 vmlinuz=$3 modtree=$4 builder=$5 part=$6 out=$BUILD/$1 t1 line
	passed=0 failed=0 skipped=0
	t1=$(date +%s)
	if [ "$builder" = debug ]; then
		# the debug kernel itself: built on first use (cached) by the
		# first of its jobs, while the other lane boots the others; the
		# second waits for it
		if line=$("$here/scripts/debug-kernel.sh" 2>"$out/debug-kernel-$part.log") &&
			[ "$line" = "$kver $kdir $vmlinuz $modtree" ]; then
			[ "$part" = lxc ] ||
				pass "$kver: debug kernel ready ($(($(date +%s) - t1)) s; its cold build: $(cat "${kdir%/build}/build-seconds") s)"
		else
			cat "$out/debug-kernel-$part.log"
			fail "$kver: debug kernel (scripts/debug-kernel.sh)"
			return
		fi
		# The same suites run several times slower there, and the
		# churn fuzz longer, under the sanitizers.
		export NSGPUPERF_TIMEOUT_SCALE=${NSGPUPERF_DEBUG_TIMEOUT_SCALE:-4}
		export NSGPUPERF_VM_TIMEOUT=${NSGPUPERF_DEBUG_VM_TIMEOUT:-3600}
		export NSGPUPERF_CHURN_SECS=${NSGPUPERF_DEBUG_CHURN_SECS:-90}
		t1=$(date +%s)
	fi
	# the LXC job of a split kernel builds its own copy of the modules
	[ "$part" = lxc ] && out=$BUILD/$kver/lxc
	if "$here/scripts/build-kernel.sh" "$kver" "$kdir" "$builder" "$out"; then
		[ "$part" = lxc ] || pass "$kver: modules build warning-free (W=1, C=2)"
	else
		fail "$kver: modules build"
		return
	fi
	if [ "$part" != lxc ] && [ "$builder" = host ] && [ "${NSGPUPERF_DKMS:-1}" = 0 ]; then
		# Developer runs in parallel worktrees share one DKMS tree.
		skipped=$((skipped + 1))
		echo "# $kver: dkms build skipped (NSGPUPERF_DKMS=0)"
	elif [ "$part" != lxc ] && [ "$builder" = host ]; then
		if dkms_build "$kver" "$kdir" >"$out/dkms.log" 2>&1; then
			pass "$kver: dkms add + build"
		else
			cat "$out/dkms.log"
			fail "$kver: dkms add + build"
		fi
	fi
	rm -rf "$out/art/tests"
	cp -r "$BUILD/tests" "$out/art/tests"
	if [ "$part" != lxc ]; then
		"$here/selftests/vm/run.sh" "$kver" "$vmlinuz" "$modtree" "$out/art" "$BUILD/$kver/vm"
		vm_run "$kver" "$kver" "$BUILD/$kver/vm" "$t1"
	fi
	[ "$part" = busybox ] && return
	if [ "${NSGPUPERF_LXC:-1}" = 0 ]; then
		skipped=$((skipped + 1))
		echo "# $kver: LXC test VM skipped (NSGPUPERF_LXC=0)"
	elif [ "${kver%-rt-amd64}" != "$kver" ] && [ "${NSGPUPERF_LXC_RT:-1}" = 0 ]; then
		# The LXC VM on RT: 440 s (6.1) and 391 s (6.12) here, in the
		# lanes after the other kernels; a developer's quick run may
		# leave it out.
		skipped=$((skipped + 1))
		echo "# $kver: LXC test VM skipped on PREEMPT_RT (NSGPUPERF_LXC_RT=0)"
	elif [ -n "$lxc_image" ]; then
		t1=$(date +%s)
		rm -f "$BUILD/$kver/vm-lxc/result"
		NSGPUPERF_VM_IMAGE=$lxc_image \
			"$here/selftests/vm/run.sh" "$kver" "$vmlinuz" "$modtree" "$out/art" "$BUILD/$kver/vm-lxc"
		vm_run "$kver" "$kver lxc" "$BUILD/$kver/vm-lxc" "$t1"
	fi
}

# The jobs: one per kernel, two for the debug kernel (its busybox VM
# first, its LXC VM after two more kernels, by when it is built).  The
# debug kernel's LXC VM runs only with NSGPUPERF_LXC_DEBUG=1: LXC, udev
# and Incus run 4-8 times slower under its sanitizers (the LXC VM: 3158 s
# against 519 s on 6.1), which does not fit make check's 90 minutes on
# two CPUs.  Its busybox VM runs every suite that drives the module.
jobs_list=()
deferred=
n_after=0
while read -r kver kdir vmlinuz modtree builder; do
	if [ "$builder" = debug ]; then
		jobs_list+=("$kver $kdir $vmlinuz $modtree $builder busybox")
		[ "${NSGPUPERF_LXC_DEBUG:-0}" = 1 ] &&
			deferred="$kver $kdir $vmlinuz $modtree $builder lxc"
		n_after=0
		continue
	fi
	jobs_list+=("$kver $kdir $vmlinuz $modtree $builder all")
	n_after=$((n_after + 1))
	if [ -n "$deferred" ] && [ "$n_after" -ge 2 ]; then
		jobs_list+=("$deferred")
		deferred=
	fi
done <"$BUILD/matrix"
[ -n "$deferred" ] && jobs_list+=("$deferred")

# The jobs run in NSGPUPERF_LANES lanes (default 2): a TCG guest mostly
# keeps one host CPU busy, so two at once use a 2-CPU machine.
lanes=${NSGPUPERF_LANES:-2}
for job in "${jobs_list[@]}"; do
	read -r kver kdir vmlinuz modtree builder part <<<"$job"
	mkdir -p "$BUILD/$kver" && rm -f "$BUILD/$kver/check-$part.counts"
	while [ "$(jobs -rp | wc -l)" -ge "$lanes" ]; do
		wait -n
	done
	echo "# $kver ($part): started ($(($(date +%s) - t0)) s)"
	(
		t1=$(date +%s)
		kernel_job "$kver" "$kdir" "$vmlinuz" "$modtree" "$builder" "$part" \
			>"$BUILD/$kver/check-$part.log" 2>&1
		echo "$passed $failed $skipped $(($(date +%s) - t1))" >"$BUILD/$kver/check-$part.counts"
	) &
done
wait
job_times=
for job in "${jobs_list[@]}"; do
	read -r kver kdir vmlinuz modtree builder part <<<"$job"
	cat "$BUILD/$kver/check-$part.log"
	job_logs+=("$BUILD/$kver/check-$part.log")
	if read -r p f s secs <"$BUILD/$kver/check-$part.counts"; then
		passed=$((passed + p)) failed=$((failed + f)) skipped=$((skipped + s))
		job_times+=" $kver$([ "$part" = all ] || echo " $part") ${secs}s,"
		# a debug kernel built by this run (not found in the cache)
		built=$(sed -n 's/^debug-kernel: built .* in \([0-9]*\) s$/\1/p' \
			"$BUILD/$kver/debug-kernel-$part.log" 2>/dev/null)
		[ -z "$built" ] || job_times+=" (its cold build ${built}s),"
	else
		fail "$kver ($part): its lane ended without counts"
	fi
	rm -f "$BUILD/$kver/check-$part.counts"
done

echo "# jobs, $lanes at once:${job_times%,}"
echo "# total time $(($(date +%s) - t0)) s"
finish
