// SPDX-License-Identifier: GPL-2.0
/*
 * hold-perf-keys: run by the test VM's init before the suites.  It forks;
 * the child opens one per-task event and one software event of each
 * common type and keeps them open for the VM's life; the parent exits 0
 * once the child holds them all (1 if it does not), so that init knows
 * the keys have flipped.
 *
 * In QEMU's multi-threaded TCG a vCPU can still run kernel text another
 * vCPU has just live-patched, and Oops on a leftover int3.  perf patches
 * the scheduler when a static key flips: the first per-task event
 * (perf_sched_events), the first software event of a type
 * (perf_swevent_enabled[type]), and again when the last one goes.  The
 * suites (perf stat, the shim's pass-through checks) open and close such
 * events many times; with these held, the keys flip once, here, and init
 * runs this before it brings the other CPUs up, so that no other vCPU
 * runs the text being patched.  Events of the GPU PMUs flip no key.
 */
#include <linux/perf_event.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <unistd.h>

static const uint64_t sw_events[] = {
	PERF_COUNT_SW_CONTEXT_SWITCHES, PERF_COUNT_SW_PAGE_FAULTS,
	PERF_COUNT_SW_PAGE_FAULTS_MIN, PERF_COUNT_SW_PAGE_FAULTS_MAJ,
	PERF_COUNT_SW_CPU_MIGRATIONS, PERF_COUNT_SW_TASK_CLOCK,
	PERF_COUNT_SW_CPU_CLOCK,
};
#define NR_EVENTS (sizeof(sw_events) / sizeof(sw_events[0]))

static unsigned int open_events(void)
{
	unsigned int i, held = 0;

	for (i = 0; i < NR_EVENTS; i++) {
		struct perf_event_attr attr = {
			.type = PERF_TYPE_SOFTWARE,
			.size = sizeof(attr),
			.config = sw_events[i],
		};

		/* this process, any CPU: a per-task event */
		if (syscall(SYS_perf_event_open, &attr, 0, -1, -1,
			    PERF_FLAG_FD_CLOEXEC) >= 0)
			held++;
	}
	return held;
}

int main(void)
{
	unsigned int held = 0;
	int ready[2];
	pid_t pid;

	if (pipe(ready) < 0) {
		perror("hold-perf-keys: pipe");
		return 1;
	}
	pid = fork();
	if (pid < 0) {
		perror("hold-perf-keys: fork");
		return 1;
	}
	if (pid == 0) {
		close(ready[0]);
		held = open_events();
		if (write(ready[1], &held, sizeof(held)) != sizeof(held))
			return 1;
		close(ready[1]);
		for (;;)
			pause();
	}
	close(ready[1]);
	if (read(ready[0], &held, sizeof(held)) != sizeof(held))
		held = 0;
	if (held != NR_EVENTS) {
		fprintf(stderr, "hold-perf-keys: %u of %zu events held\n", held,
			NR_EVENTS);
		return 1;
	}
	return 0;
}
