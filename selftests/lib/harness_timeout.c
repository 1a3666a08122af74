// SPDX-License-Identifier: GPL-2.0
/*
 * The harness' per-test timeouts, stretched on a slow kernel.  The debug
 * kernel (KASAN, lockdep, kmemleak, debugobjects) does the same work
 * several times slower under TCG, and a test that times out there tells
 * nothing.  Every suite links with --wrap=alarm (selftests/Makefile), so
 * the harness' alarm(timeout) comes here; NSGPUPERF_TIMEOUT_SCALE, which
 * selftests/vm/run.sh puts on the debug kernel's command line (the kernel
 * hands it to init's environment), multiplies it.
 */
#include <stdlib.h>

#include "nsgp_test.h"

unsigned int __real_alarm(unsigned int seconds);
unsigned int __wrap_alarm(unsigned int seconds);

unsigned int nsgp_time_scale(void)
{
	const char *env = getenv("NSGPUPERF_TIMEOUT_SCALE");
	unsigned long scale = env ? strtoul(env, NULL, 10) : 1;

	return scale > 1 && scale <= 20 ? scale : 1;
}

unsigned int __wrap_alarm(unsigned int seconds)
{
	return __real_alarm(seconds * nsgp_time_scale());
}
