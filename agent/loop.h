/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The agent's main loop: one epoll, each event source registered by the
 * file that owns its descriptor with the handler to run when it is
 * readable, and the periodic work (loop.c lists it). A new source touches
 * its own file only.
 */
#ifndef TN_AGENT_LOOP_H
#define TN_AGENT_LOOP_H

#include <stdint.h>

struct agent;

struct agent_source {
	int fd;				/* -1: not watched */
	void (*handle)(struct agent *a);
};

/*
 * Watches fd for input and runs handle when there is some. A no-op before
 * the loop's epoll exists (a->ep < 0). 0 or -1 with errno.
 */
int agent_watch(struct agent *a, struct agent_source *s, int fd,
		void (*handle)(struct agent *a));
/* Stops and resumes watching without forgetting the source. */
void agent_watch_pause(struct agent *a, struct agent_source *s, int paused);
void agent_unwatch(struct agent *a, struct agent_source *s);

/* Runs until SIGTERM, SIGINT or SIGHUP; 0, or 1 if the loop cannot start. */
int agent_run(struct agent *a);

#endif
