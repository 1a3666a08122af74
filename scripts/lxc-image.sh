#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The root file system of the LXC test VM (selftests/vm/run.sh image mode):
# a Debian bookworm ext4 image with LXC 5.0.2, built once with debootstrap
# and cached; prints its path as the only line on stdout.
#
#   scripts/lxc-image.sh
#
# In the image:
#   - bookworm minbase with HOST_PKGS: lxc, busybox-static (lxc-create -t
#     busybox copies /bin/busybox), udev (systemd-udevd runs without
#     systemd as PID 1), uidmap, procps, util-linux, kmod, iproute2, jq;
#   - /etc/subuid and /etc/subgid: root:100000:165536, one range that
#     holds the LXC suites' maps (0 -> 100000 and 0 -> 200000, 65536
#     each) and is Incus' (Incus maps every root range of these files at
#     container id 0: two ranges make newuidmap fail with EINVAL);
#   - /etc/lxc/default.conf: lxc.net.0.type = empty (the VM has no
#     network; it boots with apparmor=0: no apparmor_parser here);
#   - /var/lib/nsgpuperf-test/rootfs-debian: a second bookworm minbase
#     for containers, with CT_PKGS (Debian's intel-gpu-tools, so the
#     container's own intel_gpu_top, libdrm, procps), owned as
#     debootstrap made it (root: 0), i.e. as the container sees it: copy
#     it through the container's idmap (tar | lxc-usernsexec -m
#     b:0:100000:65536 -- tar -x, as lxc-download unpacks), or use it in
#     place with lxc.rootfs.options = idmap=container (never lxc-destroy
#     such a container: that deletes its rootfs);
#   - Incus 6.0.4 from bookworm-backports (INCUS_PKGS: incus-base, the
#     daemon and client for containers, without "incus"'s QEMU and swtpm
#     for VMs; systemd-standalone-sysusers for its incus-admin group
#     instead of systemd), --no-install-recommends, with LXC, lxcfs and
#     everything else from bookworm: backports is only in the image's own
#     /etc/apt/sources.list.d/backports.list; nothing of it is set up or
#     started (selftests/incus_test.c starts incusd and initialises it);
#   - /var/lib/nsgpuperf-test/VERSIONS: the versions of the packages that
#     matter (lxc, udev, incus, intel-gpu-tools in the container rootfs).
#   - /etc/modules-load.d (no systemd here: selftests/vm/init, PID 1,
#     starts udevd and loads what that directory names).
#
# Packages come from the Debian mirror the host's apt sources name (the
# first URI serving "bookworm"; NSGPUPERF_DEBIAN_MIRROR overrides); the
# host's apt sources are never changed.  Needs root, debootstrap and
# e2fsprogs (scripts/deps.sh installs them).
#
# Cache ($NSGPUPERF_CACHE, default ~/.cache/nsgpuperf):
#   lxc-image/bookworm-lxc-KEY.img   the image (sparse, raw ext4); KEY
#                                    hashes this script, which holds the
#                                    package lists: any change rebuilds;
#                                    images of other keys not asked for
#                                    in PRUNE_DAYS go at the next build
#   lxc-image/debs/                  downloaded .debs (debootstrap
#                                    --cache-dir), reused by a rebuild
#   lxc-image/debs-apt/              the same for apt in the image's
#                                    chroot (Incus from backports)
#   lxc-image/build.log              the last build's log
set -euo pipefail

CACHE=${NSGPUPERF_CACHE:-$HOME/.cache/nsgpuperf}
DIR=$CACHE/lxc-image
SUITE=bookworm
HOST_PKGS=lxc,busybox-static,udev,uidmap,procps,util-linux,kmod,iproute2,jq
# From $SUITE-backports where they are only there (apt in the chroot).
INCUS_PKGS="incus-base/$SUITE-backports systemd-standalone-sysusers"
CT_PKGS=intel-gpu-tools,libdrm2,procps
CT_ROOTFS=var/lib/nsgpuperf-test/rootfs-debian
# Free space left in the image for the tests (containers, copied files).
FREE_MB=512
PRUNE_DAYS=3

log() { echo "lxc-image: $*" >&2; }
die() { log "$*"; exit 1; }

key=$({ cat "$0"; echo "$HOST_PKGS $CT_PKGS $INCUS_PKGS"; } | sha256sum | cut -c1-16)
img=$DIR/$SUITE-lxc-$key.img
# Its mtime says when it was last asked for (see the pruning below).
if [ -f "$img" ]; then
	touch "$img"
	echo "$img"
	exit 0
fi

[ "$(id -u)" = 0 ] || die "needs root (debootstrap, image ownership)"
for t in debootstrap:debootstrap mkfs.ext4:e2fsprogs; do
	command -v "${t%%:*}" >/dev/null || die "${t%%:*} missing (apt-get install ${t#*:}; scripts/deps.sh does)"
done

# The mirror of the host's apt sources that serves $SUITE: deb822
# (*.sources: URIs + Suites) or one-line (sources.list) form.
host_mirror() {
	local f
	for f in /etc/apt/sources.list.d/*.sources; do
		[ -f "$f" ] || continue
		awk -v suite="$SUITE" '
			/^[[:space:]]*$/ { if (uri != "" && ok && deb) exit
					   uri = ""; ok = 0; deb = 0; next }
			tolower($1) == "types:" { for (i = 2; i <= NF; i++) if ($i == "deb") deb = 1 }
			tolower($1) == "uris:" { uri = $2 }
			tolower($1) == "suites:" { for (i = 2; i <= NF; i++) if ($i == suite) ok = 1 }
			END { if (uri != "" && ok && deb) print uri }' "$f"
	done
	cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null |
		sed 's/\[[^]]*\]//' |
		awk -v suite="$SUITE" '$1 == "deb" && $3 == suite { print $2 }' || true
}
mirror=${NSGPUPERF_DEBIAN_MIRROR:-$(host_mirror | head -n1)}
[ -n "$mirror" ] || die "no '$SUITE' mirror in the host's apt sources (set NSGPUPERF_DEBIAN_MIRROR)"

mkdir -p "$DIR/debs"
exec 9>"$DIR/lock"
flock 9
# Another run may have built it while this one waited.
if [ -f "$img" ]; then
	touch "$img"
	echo "$img"
	exit 0
fi

start=$(date +%s)
work=$DIR/.build
root=$work/root
ct=$root/$CT_ROOTFS
: >"$DIR/build.log"

# Undo what an interrupted debootstrap left mounted, deepest first.
unmount_work() {
	local m
	awk -v p="$work/" 'index($2, p) == 1 { print $2 }' /proc/mounts |
		sort -r | while read -r m; do umount -l "$m" || true; done
}
cleanup() {
	unmount_work
	rm -rf --one-file-system "$work"
}
trap cleanup EXIT
cleanup
mkdir -p "$work"

bootstrap() {
	local include=$1 target=$2
	log "debootstrap $SUITE minbase +$include from $mirror"
	if ! debootstrap --variant=minbase --include="$include" \
		--cache-dir="$DIR/debs" "$SUITE" "$target" "$mirror" \
		</dev/null >>"$DIR/build.log" 2>&1; then
		tail -n 20 "$DIR/build.log" >&2
		die "debootstrap failed (log: $DIR/build.log)"
	fi
}

# What the image does not need: apt lists and caches, documentation,
# translations, logs.
slim() {
	local r=$1
	chroot "$r" apt-get clean
	rm -rf "$r"/var/lib/apt/lists/* "$r"/var/cache/apt/*.bin \
		"$r"/usr/share/doc/* "$r"/usr/share/man/* "$r"/usr/share/info/* \
		"$r"/usr/share/locale/* "$r"/usr/share/lintian \
		"$r"/var/cache/debconf/*-old "$r"/var/lib/dpkg/*-old \
		"$r"/var/log/*.log "$r"/var/log/apt/*
	mkdir -p "$r/var/lib/apt/lists/partial"
}

# Incus from backports with apt in the chroot (debootstrap's resolver
# knows one suite): the image's own sources get backports, whose
# NotAutomatic pin keeps every other package at $SUITE's version.  No
# daemon starts (policy-rc.d); the .debs are kept in debs-apt for the
# next build.
install_incus() {
	local r=$1
	log "apt-get install $INCUS_PKGS ($SUITE-backports)"
	echo "deb $mirror $SUITE-backports main" >"$r/etc/apt/sources.list.d/backports.list"
	printf '#!/bin/sh\nexit 101\n' >"$r/usr/sbin/policy-rc.d"
	chmod 0755 "$r/usr/sbin/policy-rc.d"
	mkdir -p "$DIR/debs-apt/partial"
	mount -t proc proc "$r/proc"
	mount --bind "$DIR/debs-apt" "$r/var/cache/apt/archives"
	# shellcheck disable=SC2086 # a list of packages
	if ! { chroot "$r" apt-get update &&
	       chroot "$r" env DEBIAN_FRONTEND=noninteractive apt-get install -y \
			--no-install-recommends $INCUS_PKGS; } \
		</dev/null >>"$DIR/build.log" 2>&1; then
		tail -n 20 "$DIR/build.log" >&2
		die "apt-get install $INCUS_PKGS failed (log: $DIR/build.log)"
	fi
	umount "$r/var/cache/apt/archives" "$r/proc"
	rm -f "$r/usr/sbin/policy-rc.d"
}

bootstrap "$HOST_PKGS" "$root"
install_incus "$root"
mkdir -p "$(dirname "$ct")"
bootstrap "$CT_PKGS" "$ct"
slim "$ct"
slim "$root"

versions=$root/var/lib/nsgpuperf-test/VERSIONS
chroot "$root" dpkg-query -W -f='${Package} ${Version}\n' lxc liblxc1 udev uidmap busybox-static \
	incus-base incus-client lxcfs >"$versions"
chroot "$ct" dpkg-query -W -f='container: ${Package} ${Version}\n' intel-gpu-tools libdrm2 procps >>"$versions"

# Host configuration for unprivileged containers started by root.
# One range (see the top; incus-base's postinst added its own, replaced).
echo 'root:100000:165536' >"$root/etc/subuid"
cp "$root/etc/subuid" "$root/etc/subgid"
# No network in the VM (nor AppArmor: the VM boots with apparmor=0).
echo 'lxc.net.0.type = empty' >"$root/etc/lxc/default.conf"
echo nsgpuperf-vm >"$root/etc/hostname"
printf '127.0.0.1\tlocalhost\n127.0.1.1\tnsgpuperf-vm\n' >"$root/etc/hosts"
: >"$root/etc/fstab"
# systemd's directory on a Debian host (modules loaded at boot: init reads
# it as systemd-modules-load does)
mkdir -p "$root/etc/modules-load.d"
echo nsgpuperf-ct >"$ct/etc/hostname"

# An image just big enough: the tree plus a quarter for ext4's metadata,
# plus FREE_MB for the tests; sparse, filled by mkfs.ext4 -d.  No journal
# (a throw-away snapshot: less to write under emulation); inode tables
# initialised here so the VM's kernel does not do it in the background.
used_mb=$(($(du -sm --apparent-size "$root" | cut -f1) * 5 / 4))
size_mb=$((used_mb + FREE_MB))
tmpimg=$DIR/.img.tmp
rm -f "$tmpimg"
truncate -s "${size_mb}M" "$tmpimg"
log "mkfs.ext4 -d ($size_mb MB, sparse)"
if ! mkfs.ext4 -q -F -L nsgpuperf-vm -O ^has_journal -E lazy_itable_init=0 \
	-d "$root" "$tmpimg" >>"$DIR/build.log" 2>&1; then
	tail -n 20 "$DIR/build.log" >&2
	die "mkfs.ext4 failed (log: $DIR/build.log)"
fi
mv "$tmpimg" "$img"
# Images of other keys (other versions of this script, maybe another
# checkout's, in use now) go once nobody asked for them for PRUNE_DAYS.
find "$DIR" -maxdepth 1 -name "$SUITE-lxc-*.img" ! -newermt "-$PRUNE_DAYS days" -delete
log "built $img in $(($(date +%s) - start)) s:" \
	"$(du -m --apparent-size "$img" | cut -f1) MB apparent, $(du -m "$img" | cut -f1) MB on disk"
echo "$img"
