// SPDX-License-Identifier: GPL-2.0
/*
 * The usage call holds no DRM device and no reference on the GPU driver's
 * module across its copies to userspace.  A DRM device reference does not
 * pin the driver's module, and the last drm_dev_put() runs the driver's
 * release code: a caller that makes its copy stall (a page that faults
 * slowly: userfaultfd here, FUSE in the wild) while the host unloads the
 * driver must not make the kernel run freed code when the copy completes.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/userfaultfd.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "nsgp_test.h"
#include "nsgp_usage.h"

#define PG	4096UL

struct stalled_call {
	int fd, gpu;
	void *classes;
	int ret, err;
};

static void *usage_call(void *arg)
{
	struct stalled_call *c = arg;
	struct nsgpuperf_cgroup_usage u = {
		.size = sizeof(u), .gpu_id = c->gpu, .count = 8,
		.entry_size = sizeof(struct nsgpuperf_engine_usage),
		.classes = (uintptr_t)c->classes,
	};

	c->ret = ioctl(c->fd, NSGPUPERF_IOC_CGROUP_USAGE, &u);
	c->err = errno;
	return NULL;
}

TEST(usage_copy_stalled_while_the_driver_unloads)
{
	struct uffdio_api api = { .api = UFFD_API };
	struct uffdio_register reg = { .mode = UFFDIO_REGISTER_MODE_MISSING };
	struct uffdio_zeropage zp = { .range = { .len = PG } };
	struct stalled_call call = { 0 };
	struct pollfd pfd;
	struct uffd_msg msg;
	struct client c;
	struct usage u;
	char node[64];
	pthread_t t;
	int uffd, fd, gpu;
	void *page;

	fd = nsgp_open(NULL);
	ASSERT_GE(fd, 0);
	gpu = nsgp_find_gpu(fd, GPU0_PCI, NULL);
	ASSERT_GE(gpu, 0);
	ASSERT_EQ(0, render_node(fd, GPU0_PCI, node, sizeof(node)));
	/* one client, then gone: the session's sums keep its class */
	c = start_client(CG, node, 1000, 0);
	ASSERT_GT(c.pid, 0);
	u = get_usage(fd, gpu);
	ASSERT_EQ(0, u.err);
	ASSERT_EQ(1000, u.render);
	ASSERT_EQ(0, stop_client(&c));

	uffd = syscall(SYS_userfaultfd, O_CLOEXEC | O_NONBLOCK);
	ASSERT_GE(uffd, 0);
	ASSERT_EQ(0, ioctl(uffd, UFFDIO_API, &api));
	page = mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, page);
	reg.range.start = (uintptr_t)page;
	reg.range.len = PG;
	ASSERT_EQ(0, ioctl(uffd, UFFDIO_REGISTER, &reg));

	/* the reply's copy to the page stalls until we serve the fault */
	call.fd = fd;
	call.gpu = gpu;
	call.classes = page;
	ASSERT_EQ(0, pthread_create(&t, NULL, usage_call, &call));
	pfd.fd = uffd;
	pfd.events = POLLIN;
	ASSERT_EQ(1, poll(&pfd, 1, 10000));
	ASSERT_EQ(sizeof(msg), read(uffd, &msg, sizeof(msg)));
	ASSERT_EQ(UFFD_EVENT_PAGEFAULT, msg.event);

	/* meanwhile the host unbinds and unloads the GPU driver */
	ASSERT_EQ(0, module_unload("mock_i915"));

	zp.range.start = (uintptr_t)page;
	ASSERT_EQ(0, ioctl(uffd, UFFDIO_ZEROPAGE, &zp));
	ASSERT_EQ(0, pthread_join(t, NULL));
	ASSERT_EQ(0, call.ret) TH_LOG("usage call: errno %d", call.err);

	/* the driver comes back and everything works again */
	ASSERT_EQ(0, module_load(MOCK_KO, NULL));
	drm_nodes_open_to_all();
	close(fd);
	fd = nsgp_open(NULL);
	ASSERT_GE(fd, 0);
	gpu = nsgp_find_gpu(fd, GPU0_PCI, NULL);
	ASSERT_GE(gpu, 0);
	u = get_usage(fd, gpu);
	ASSERT_EQ(0, u.err);
	close(fd);
	close(uffd);
	munmap(page, PG);
}

TEST_HARNESS_MAIN
