#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Runs inside the demo VM (as a "suite" of run.sh): a host with the mock
# GPU under load, and a container whose root is host uid 100000 reading the
# GPU counters through nsgpuperf.
set -e
# Both GPUs under the same load (intel_gpu_top picks the "discrete" one).
for gpu in 0000:00:02.0 0000:00:05.0; do
	ctl=/sys/kernel/debug/mock_i915/$gpu/control
	# i915 config encoding: engine (class << 12 | instance << 4 | sample),
	# others 0x100000 + n (actual/requested frequency, interrupts, rc6)
	echo "rate 0x100000 1150" >$ctl		# actual frequency, MHz
	echo "rate 0x100001 1300" >$ctl		# requested frequency, MHz
	echo "rate 0x100002 850" >$ctl		# interrupts per second
	echo "rate 0x100003 300000000" >$ctl	# RC6 residency: 30 %
	echo "rate 0x0 450000000" >$ctl		# rcs0 busy: 45 %
	echo "rate 0x1000 120000000" >$ctl	# bcs0 busy: 12 %
	echo "rate 0x2000 700000000" >$ctl	# vcs0 busy: 70 %
done

echo "### host: nsgpuperf loaded, two mock i915 GPUs bound"
grep -E '^(nsgpuperf|mock_i915|drm) ' /proc/modules | cut -d' ' -f1
ls -l /dev/nsgpuperf
echo "### host admin: a node for the container whose root is host uid 100000"
mknod /tmp/ct-nsgpuperf c $(tr ':' ' ' </sys/class/nsgpuperf/nsgpuperf/dev)
chown 100000:100000 /tmp/ct-nsgpuperf
chmod 0600 /tmp/ct-nsgpuperf
ls -ln /tmp/ct-nsgpuperf
echo "### container root (user namespace 0 -> 100000:65536, no host capabilities,"
echo "### its own cgroup /ct101 as the root of its cgroup namespace) runs nsgpuperf:"
mkdir -p /sys/fs/cgroup/ct101
export NSGPUPERF_DEVICE=/tmp/ct-nsgpuperf
ct() {
	sh -c 'echo $$ >/sys/fs/cgroup/ct101/cgroup.procs &&
		exec ./userns-exec --cgroupns "0 100000 65536" "$@"' ct "$@"
}
echo "\$ nsgpuperf list"
ct ./nsgpuperf list
echo "\$ nsgpuperf -n 3          (the live view prints lines when not on a terminal)"
ct ./nsgpuperf -n 3 -d 0000:00:02.0
echo "\$ nsgpuperf -J -n 1 -d 0000:00:02.0"
ct ./nsgpuperf -J -n 1 -d 0000:00:02.0
echo "\$ nsgpuperf --openmetrics -n 1 -d 0000:00:02.0  (busy and usage series)"
ct ./nsgpuperf --openmetrics -n 1 -d 0000:00:02.0 | grep -E '^nsgpuperf_(engine_busy|cgroup_usage)'
echo "### nsgpuperf run as intel_gpu_top (bind-mounted in a container that has"
echo "### no intel-gpu-tools), in 1.27.1's -l layout:"
mkdir -p /tmp/ct-bin && ln -sf /tests/nsgpuperf /tmp/ct-bin/intel_gpu_top
ct timeout -s INT 2.5 /tmp/ct-bin/intel_gpu_top -l -s 1000 || true
echo "### the same container root runs Debian's unmodified intel_gpu_top; perf"
echo "### itself refuses it:"
ct timeout -s INT 2 /usr/bin/intel_gpu_top -l -s 1000 2>&1 | head -n 3 || true
echo "### with the perf_event_open shim (LD_PRELOAD, or /etc/ld.so.preload in"
echo "### the container) it reads the GPU through nsgpuperf:"
LD_PRELOAD=/tests/libnsgpuperf-preload.so ct timeout -s INT 3.5 /usr/bin/intel_gpu_top -l -s 1000 || true
echo "### a host user with its own user namespace (unshare -U -r) holds every"
echo "### capability there, but the node's owner is not mapped in it: refused,"
echo "### even on a node whose mode lets everyone open it:"
cp -a /tmp/ct-nsgpuperf /tmp/ct-nsgpuperf-0666
chmod 0666 /tmp/ct-nsgpuperf-0666
NSGPUPERF_DEVICE=/tmp/ct-nsgpuperf-0666 ./userns-exec --self 1000 ./nsgpuperf list ||
	echo "(exit code $?)"
echo "### the host log names the rule that failed:"
dmesg | grep 'nsgpuperf: open denied' | tail -n 1
echo "### demo done"
