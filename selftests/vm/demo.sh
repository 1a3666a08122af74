#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Runs inside the demo VM, booted from the LXC image (a Debian bookworm
# host with LXC 5.0.2, the mock GPU under load): an admin grants an
# unprivileged LXC container the GPU with `nsgpuperf host grant`, and the
# container's root reads the counters with nsgpuperf and with Debian's own
# intel_gpu_top.
set -e
# Both GPUs under the same load.
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
run() {
	echo "host# $*"
	"$@"
}
# lxc-attach's output through a file: on a terminal (the VM's serial
# port) it would proxy a pty of its own.
ct() {
	echo "ct1# $*"
	rc=0
	lxc-attach -n ct1 -- "$@" >/tmp/ct.out 2>&1 </dev/null || rc=$?
	cat /tmp/ct.out
	return $rc
}

echo "### host: Debian bookworm, LXC $(lxc-start --version), nsgpuperf loaded, two mock i915 GPUs"
grep -E '^(nsgpuperf|mock_i915) ' /proc/modules | cut -d' ' -f1
install -D -m 0755 /tests/nsgpuperf /usr/local/bin/nsgpuperf
run ls -l /dev/nsgpuperf
echo "### an unprivileged LXC container, root mapped to host uid 100000"
cat >/tmp/ct1.conf <<EOF
lxc.include = /usr/share/lxc/config/userns.conf
lxc.idmap = u 0 100000 65536
lxc.idmap = g 0 100000 65536
lxc.net.0.type = empty
EOF
lxc-create -q -n ct1 -t busybox -f /tmp/ct1.conf >/dev/null
run lxc-start -n ct1
lxc-wait -n ct1 -s RUNNING -t 60
echo "### the admin grants it the integrated GPU (README: Plain LXC)"
echo "host# nsgpuperf host grant ct1 --gpu 0000:00:02.0 >> /var/lib/lxc/ct1/config"
nsgpuperf host grant ct1 --gpu 0000:00:02.0 | tee -a /var/lib/lxc/ct1/config
run ls -l /dev/nsgpuperf-ct/
run lxc-stop -n ct1
run lxc-start -n ct1
lxc-wait -n ct1 -s RUNNING -t 60
install -D -m 0755 /tests/nsgpuperf /var/lib/lxc/ct1/rootfs/usr/local/bin/nsgpuperf
echo "### in the container, as its root (host uid $(awk '/^Uid/ { print $2 }' /proc/$(lxc-info -n ct1 -p -H)/status)):"
ct nsgpuperf list
echo "### the live view prints lines when not on a terminal"
ct nsgpuperf -n 3
ct nsgpuperf -J -n 1
echo "### OpenMetrics (busy and usage series)"
ct nsgpuperf --openmetrics -n 1 | grep -E '^nsgpuperf_(engine_busy|cgroup_busy)' | head -n 8
echo "### only the GPU whose render node was passed in: the other one is not there"
ct nsgpuperf -J -n 1 -d 0000:00:05.0 || echo "(exit code $?)"
echo "### nsgpuperf as intel_gpu_top (1.27.1's -l layout), for a container without intel-gpu-tools"
ln -sf nsgpuperf /var/lib/lxc/ct1/rootfs/usr/local/bin/intel_gpu_top
ct timeout -s INT 2.5 /usr/local/bin/intel_gpu_top -l -s 1000 || true
echo "### a user of the container (uid 1000) is refused by the node's mode (EACCES, nothing"
echo "### logged on the host); with the mode opened to everyone, nsgpuperf's rule refuses it"
echo "### (EPERM: no CAP_PERFMON), and says so in the host's log"
echo "ct1\$ nsgpuperf list"
lxc-attach -n ct1 -u 1000 -g 1000 -- /usr/local/bin/nsgpuperf list >/tmp/ct.out 2>&1 </dev/null ||
	echo "(exit code $?)"
cat /tmp/ct.out
run chmod 0666 /dev/nsgpuperf-ct/ct1
echo "ct1\$ nsgpuperf list"
lxc-attach -n ct1 -u 1000 -g 1000 -- /usr/local/bin/nsgpuperf list >/tmp/ct.out 2>&1 </dev/null ||
	echo "(exit code $?)"
cat /tmp/ct.out
run sh -c "dmesg | grep 'nsgpuperf: open denied' | tail -n 1"
run nsgpuperf host list || true
run chmod 0600 /dev/nsgpuperf-ct/ct1
lxc-stop -n ct1 -k

echo "### a Debian container with Debian's own intel_gpu_top (intel-gpu-tools)"
mkdir -p /var/lib/lxc/deb1/rootfs
chown 100000:100000 /var/lib/lxc/deb1/rootfs
tar -C /var/lib/nsgpuperf-test/rootfs-debian -cf - --exclude='./dev/*' . |
	lxc-usernsexec -m b:0:100000:65536 -- tar -C /var/lib/lxc/deb1/rootfs -xpf -
cat >/var/lib/lxc/deb1/config <<EOF
lxc.include = /usr/share/lxc/config/common.conf
lxc.include = /usr/share/lxc/config/userns.conf
lxc.idmap = u 0 100000 65536
lxc.idmap = g 0 100000 65536
lxc.rootfs.path = dir:/var/lib/lxc/deb1/rootfs
lxc.uts.name = deb1
lxc.net.0.type = empty
lxc.init.cmd = /bin/sleep infinity
EOF
# every GPU this time (grant without --gpu): intel_gpu_top picks the discrete one
nsgpuperf host grant deb1 >>/var/lib/lxc/deb1/config 2>/dev/null
install -D -m 0644 /tests/libnsgpuperf-preload.so \
	/var/lib/lxc/deb1/rootfs/usr/local/lib/libnsgpuperf-preload.so
lxc-start -n deb1
lxc-wait -n deb1 -s RUNNING -t 60
deb() {
	echo "deb1# $*"
	lxc-attach -n deb1 -- sh -c "$*" >/tmp/ct.out 2>&1 </dev/null || true
	cat /tmp/ct.out
}
echo "### perf itself refuses the container:"
deb "timeout -s INT 2 intel_gpu_top -l -s 1000 | head -n 3"
deb "echo /usr/local/lib/libnsgpuperf-preload.so >> /etc/ld.so.preload"
echo "### through nsgpuperf:"
deb "timeout -s INT 3.5 intel_gpu_top -l -s 1000"
lxc-stop -n deb1 -k
echo "### demo done"
