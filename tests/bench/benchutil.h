/* SPDX-License-Identifier: GPL-2.0-only */
/* What the in-process benchmarks share: a monotonic clock and a sort order. */
#ifndef TN_BENCHUTIL_H
#define TN_BENCHUTIL_H

#include <time.h>

static inline double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* qsort() order of doubles, for medians. */
static inline int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

#endif
