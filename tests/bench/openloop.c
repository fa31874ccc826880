// SPDX-License-Identifier: GPL-2.0-only
/* open()+close() of dir/f1..f100, n times in all; prints ns per pair. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>
int main(int argc, char **argv)
{
	int n = atoi(argv[2]);
	char path[100][512];
	struct timespec a, b;
	for (int i = 0; i < 100; i++)
		snprintf(path[i], sizeof(path[i]), "%s/f%d", argv[1], i + 1);
	clock_gettime(CLOCK_MONOTONIC, &a);
	for (int i = 0; i < n; i++) {
		int fd = open(path[i % 100], O_RDONLY);
		if (fd < 0) { perror(path[i % 100]); return 1; }
		close(fd);
	}
	clock_gettime(CLOCK_MONOTONIC, &b);
	printf("%.0f\n", ((b.tv_sec - a.tv_sec) * 1e9 + (b.tv_nsec - a.tv_nsec)) / n);
	return 0;
}
