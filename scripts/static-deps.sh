#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Static libraries for the portable nsgpuperf (make static), built into the
# cache from Debian's own source packages, since Debian ships no static
# libpci, and its static libmicrohttpd needs a static GnuTLS stack (p11-kit
# has no .a) for HTTPS the exporter does not serve:
#   libpci.a          pciutils, without zlib, DNS, kmod and udev hwdb;
#                     pci.ids from /usr/share/misc (Debian's path);
#   libmicrohttpd.a   without HTTPS.
# libdrm.a, libncursesw.a and libtinfo.a come from Debian's -dev packages.
#
# The sources are fetched with apt-get source through a private sources
# list and package lists in the cache: the host's apt configuration is not
# touched.  Versions are the newest bookworm has, resolved at run time.
#
# Prints the prefix holding include/ and lib/ (the cache is keyed by the
# two versions).
set -euo pipefail

CACHE=${NSGPUPERF_CACHE:-$HOME/.cache/nsgpuperf}
apt_dir=$CACHE/static/apt
log() { echo "static-deps: $*" >&2; }

mkdir -p "$apt_dir/lists/partial" "$apt_dir/src"
mirror=$(sed -n 's/^URIs: *\(http[^ ]*debian\)$/\1/p' /etc/apt/sources.list.d/*.sources 2>/dev/null |
	head -n1)
mirror=${mirror:-$(sed -n 's/^deb \(http[^ ]*debian\) .*/\1/p' /etc/apt/sources.list 2>/dev/null |
	head -n1)}
mirror=${mirror:-http://deb.debian.org/debian}
echo "deb-src $mirror bookworm main" >"$apt_dir/sources.list"
apt_opts=(-q -o Dir::Etc::SourceList="$apt_dir/sources.list" -o Dir::Etc::SourceParts=/dev/null
	-o Dir::State::Lists="$apt_dir/lists" -o APT::Sandbox::User=root)

# Refresh the source lists once a day.
if [ -z "$(find "$apt_dir/lists" -maxdepth 1 -name '*Sources*' -mmin -1440 2>/dev/null)" ]; then
	log "apt-get update (deb-src, private lists)"
	apt-get "${apt_opts[@]}" update >&2
fi

src_version() {
	apt-cache "${apt_opts[@]}" showsrc "$1" | sed -n 's/^Version: //p' | sort -V | tail -n1
}
pci_ver=$(src_version pciutils)
mhd_ver=$(src_version libmicrohttpd)
[ -n "$pci_ver" ] && [ -n "$mhd_ver" ] || {
	log "cannot resolve the pciutils/libmicrohttpd source versions from $mirror"
	exit 1
}
# (no epoch in the path: a colon would split make's and the linker's paths)
prefix=$CACHE/static/pciutils-${pci_ver#*:}+libmicrohttpd-${mhd_ver#*:}
if [ -f "$prefix/.done" ]; then
	echo "$prefix"
	exit 0
fi

work=$CACHE/static/work
rm -rf "$work" "$prefix" && mkdir -p "$work" "$prefix/include/pci" "$prefix/lib"
(cd "$work" && apt-get "${apt_opts[@]}" source pciutils="$pci_ver" libmicrohttpd="$mhd_ver" >&2)

log "building libpci.a from pciutils $pci_ver"
pci_src=$(find "$work" -maxdepth 1 -type d -name 'pciutils-*' | head -n1)
make -s -C "$pci_src" lib/libpci.a ZLIB=no DNS=no LIBKMOD=no HWDB=no SHARED=no \
	IDSDIR=/usr/share/misc OPT="-O2" >&2
cp "$pci_src"/lib/{pci.h,config.h,header.h,types.h} "$prefix/include/pci/"
cp "$pci_src/lib/libpci.a" "$prefix/lib/"

log "building libmicrohttpd.a from libmicrohttpd $mhd_ver (no HTTPS)"
mhd_src=$(find "$work" -maxdepth 1 -type d -name 'libmicrohttpd-*' | head -n1)
(cd "$mhd_src" && ./configure -q --disable-https --without-gnutls --enable-static \
	--disable-shared --disable-doc --disable-examples --disable-curl >&2 &&
	make -s -C src/microhttpd) >"$work/libmicrohttpd.log" 2>&1 || {
	cat "$work/libmicrohttpd.log" >&2
	exit 1
}
cp "$mhd_src/src/include/microhttpd.h" "$prefix/include/"
cp "$mhd_src/src/microhttpd/.libs/libmicrohttpd.a" "$prefix/lib/"

rm -rf "$work"
touch "$prefix/.done"
echo "$prefix"
