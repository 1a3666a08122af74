/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The device's and group fds' ioctls as a table, and the bounded
 * random-ioctl fuzzer over them: badinput_test runs it on a quiet system,
 * churn_test while the GPUs unbind and the GPU driver unloads under it.
 */
#ifndef NSGP_FUZZ_H
#define NSGP_FUZZ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#define NSGP_PG		4096UL
/* Kernel and non-canonical addresses: access_ok() must refuse them. */
#define KERNEL_PTR	0xffffffff81000000ULL
#define NONCANON_PTR	0x8000000000001000ULL

/* The ioctls with a struct argument, by index. */
enum { I_VERSION, I_LIST_GPUS, I_LIST_EVENTS, I_OPEN_GROUP, I_CGROUP_USAGE,
       I_PRESENT_GPU, I_GROUP_ADD, I_NR };

struct nsgp_ioc {
	const char *name;
	unsigned long cmd;
	size_t size;		/* this header's struct */
	bool group;		/* on a group fd */
	size_t min;		/* the first published layout's size */
};

extern const struct nsgp_ioc nsgp_iocs[I_NR];

/* What one fuzzing process did, in memory it shares with the test. */
struct nsgp_fuzz_stats {
	uint64_t calls, known_ok, known_err, unknown, reads, groups_opened;
	uint64_t gone;		/* calls refused because a GPU went (churn) */
	uint64_t fails;
	/* distinct failures (thread id aside), with how often each was seen */
	unsigned int nr_kinds;
	struct { char msg[160]; uint64_t n; } kind[8];
};

struct nsgp_fuzz_opts {
	uint32_t seed;
	unsigned int threads;	/* per process */
	unsigned int iters;	/* per thread; 0: until the deadline */
	time_t deadline;	/* time(NULL) at which to stop */
	uint32_t gpu0, gpu1;	/* the GPU ids */
	const char *ro;		/* nsgp_fuzz_ro_page() */
	/*
	 * GPUs unbind and their driver unloads meanwhile: calls on a valid
	 * group or GPU may also fail with ENODEV (counted in ->gone), and a
	 * group that did is closed and replaced.
	 */
	bool churn;
};

/*
 * A read-only page with a valid struct for each ioctl at 64-byte slots
 * (index I_*), for copy-out faults: no array room, OPEN_GROUP on @gpu0
 * with two good configs, PRESENT_GPU of @drm_fd.  NULL on failure.
 */
char *nsgp_fuzz_ro_page(uint32_t gpu0, int drm_fd);

/*
 * One fuzzing process (call it in a child): o->threads threads, thread t
 * of process @proc seeded from o->seed, @proc and t.  Its totals and
 * failures go to @out.  Everything it opens is closed before it returns.
 * Returns 0, 1 if a call failed in a way not allowed, 2 if it could not run.
 */
int nsgp_fuzz_process(int proc, const struct nsgp_fuzz_opts *o,
		      struct nsgp_fuzz_stats *out);

#endif
