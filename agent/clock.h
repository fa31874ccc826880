/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The clocks the agent compares with the kernel's: CLOCK_BOOTTIME is
 * bpf_ktime_get_boot_ns(), the clock of every time kept in a BPF map.
 */
#ifndef TN_AGENT_CLOCK_H
#define TN_AGENT_CLOCK_H

#include <stdint.h>
#include <time.h>

/* Clock c in nanoseconds. */
static inline int64_t clock_ns(clockid_t c)
{
	struct timespec ts;

	clock_gettime(c, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

#endif
