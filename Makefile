# SPDX-License-Identifier: GPL-2.0
#
#   make            build the module for the running kernel (if its headers
#                   are installed) and the userspace programs
#   make check      install what is missing, build and test on every kernel
#                   of the matrix in QEMU; ends with "N passed, N failed"
#   make demo       boot the test VM with the mock GPU and read counters
#                   through the module from an unprivileged user namespace
#   make install    install the module for KVER (default: running kernel)
#   make style      checkpatch --strict on the kernel sources
#   make bench      read-cost and memory benchmark on every kernel (figures)
#   make static     build/userspace/static/nsgpuperf: the reader as one
#                   static binary for any x86-64 container (Alpine too)
#
# Downloads (kernels, kselftest harness, checkpatch) live in
# $NSGPUPERF_CACHE (default ~/.cache/nsgpuperf), never in the checkout.

KVER ?= $(shell uname -r)
KDIR ?= /lib/modules/$(KVER)/build
NSGPUPERF_CACHE ?= $(HOME)/.cache/nsgpuperf
export NSGPUPERF_CACHE

all: module userspace

module:
	@if [ -d "$(KDIR)" ]; then \
		$(MAKE) -C module KDIR=$(KDIR); \
	else \
		echo "module: no kernel headers at $(KDIR); skipping" \
		     "(apt install linux-headers-$(KVER), or make KDIR=...)"; \
	fi

userspace:
	$(MAKE) -C userspace

static:
	$(MAKE) -C userspace O=$(CURDIR)/build/userspace static \
		STATIC_PREFIX="$$(scripts/static-deps.sh)"

check:
	scripts/check.sh

demo:
	scripts/demo.sh

bench:
	scripts/bench.sh

install:
	$(MAKE) -C module KDIR=$(KDIR) install

# DKMS from a checkout: copy only what dkms.conf builds to /usr/src, then
# dkms add/build/install for KVER.
VERSION := $(shell sed -n 's/^PACKAGE_VERSION="\(.*\)"/\1/p' dkms.conf)
DKMS_SRC := /usr/src/nsgpuperf-$(VERSION)
dkms-add:
	-dkms remove -m nsgpuperf -v $(VERSION) --all >/dev/null 2>&1
	rm -rf $(DKMS_SRC) && mkdir -p $(DKMS_SRC)
	cp -r dkms.conf module uapi $(DKMS_SRC)/
	find $(DKMS_SRC) \( -name '*.o' -o -name '*.ko' -o -name '*.mod' -o -name '*.mod.c' \
		-o -name '.*.cmd' -o -name Module.symvers -o -name modules.order \) -delete
	dkms add -m nsgpuperf -v $(VERSION)

dkms-install: dkms-add
	dkms build -m nsgpuperf -v $(VERSION) -k $(KVER)
	dkms install -m nsgpuperf -v $(VERSION) -k $(KVER)

# The uapi header must install with the kernel's own script and compile
# alone as strict C89 and as C++.
HEADERS_INSTALL ?= $(NSGPUPERF_CACHE)/src/current/scripts/headers_install.sh
uapi-check:
	@set -e; t=$$(mktemp -d); trap 'rm -rf $$t' EXIT; \
	mkdir -p $$t/linux $$t/scripts; \
	ln -s "$$(command -v unifdef)" $$t/scripts/unifdef; \
	cp uapi/linux/nsgpuperf.h $$t/in.h; \
	(cd $$t && sh $(HEADERS_INSTALL) in.h linux/nsgpuperf.h); \
	printf '#include <linux/nsgpuperf.h>\nint nsgpuperf_uapi_check;\n' >$$t/t.c; \
	$(CC) -std=c89 -pedantic -Wall -Wextra -Werror -I$$t -c $$t/t.c -o $$t/c.o; \
	$(CXX) -x c++ -Wall -Wextra -Werror -I$$t -c $$t/t.c -o $$t/cxx.o; \
	echo "uapi-check: ok"

CHECKPATCH ?= $(NSGPUPERF_CACHE)/src/current/scripts/checkpatch.pl
style:
	perl $(CHECKPATCH) --strict --no-tree --show-types \
		--ignore FILE_PATH_CHANGES,LINUX_VERSION_CODE \
		-f module/*.c module/*.h selftests/mock/*.c selftests/mock/*.h \
		selftests/bench/floor/*.c uapi/linux/nsgpuperf.h

clean:
	$(MAKE) -C module clean KDIR=$(KDIR) 2>/dev/null || true
	$(MAKE) -C userspace clean
	rm -rf build

.PHONY: all module userspace static check demo bench install dkms-add dkms-install uapi-check style clean
