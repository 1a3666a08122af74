// SPDX-License-Identifier: GPL-2.0
/*
 * hold-perf-keys: started by the test VM's init before the suites, it
 * keeps one per-task event and one software event of each common type
 * open for the VM's life, then sleeps.
 *
 * In QEMU's multi-threaded TCG a vCPU can still run kernel text another
 * vCPU has just live-patched, and Oops on a leftover int3.  perf patches
 * the scheduler when a static key flips: the first per-task event
 * (perf_sched_events), the first software event of a type
 * (perf_swevent_enabled[type]), and again when the last one goes.  The
 * suites (perf stat, the shim's pass-through checks) open and close such
 * events many times; with these held, the keys flip once, here, while
 * nothing else runs.  Events of the GPU PMUs flip no key.
 */
#include <linux/perf_event.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <unistd.h>

int main(void)
{
	static const uint64_t sw[] = {
		PERF_COUNT_SW_CONTEXT_SWITCHES, PERF_COUNT_SW_PAGE_FAULTS,
		PERF_COUNT_SW_PAGE_FAULTS_MIN, PERF_COUNT_SW_PAGE_FAULTS_MAJ,
		PERF_COUNT_SW_CPU_MIGRATIONS, PERF_COUNT_SW_TASK_CLOCK,
		PERF_COUNT_SW_CPU_CLOCK,
	};
	unsigned int i, held = 0;

	for (i = 0; i < sizeof(sw) / sizeof(sw[0]); i++) {
		struct perf_event_attr attr = {
			.type = PERF_TYPE_SOFTWARE,
			.size = sizeof(attr),
			.config = sw[i],
		};

		/* this process, any CPU: a per-task event */
		if (syscall(SYS_perf_event_open, &attr, 0, -1, -1,
			    PERF_FLAG_FD_CLOEXEC) >= 0)
			held++;
	}
	if (held != sizeof(sw) / sizeof(sw[0]))
		fprintf(stderr, "hold-perf-keys: %u of %zu events held\n", held,
			sizeof(sw) / sizeof(sw[0]));
	for (;;)
		pause();
}
