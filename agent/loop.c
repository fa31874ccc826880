// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <unistd.h>
#include "agent.h"
#include "attest.h"
#include "loop.h"

int agent_watch(struct agent *a, struct agent_source *s, int fd,
		void (*handle)(struct agent *a))
{
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = s };

	s->fd = fd;
	s->handle = handle;
	if (a->ep < 0)
		return 0;
	return epoll_ctl(a->ep, EPOLL_CTL_ADD, fd, &ev);
}

void agent_watch_pause(struct agent *a, struct agent_source *s, int paused)
{
	struct epoll_event ev = { .events = paused ? 0 : EPOLLIN, .data.ptr = s };

	if (a->ep >= 0 && s->fd >= 0)
		epoll_ctl(a->ep, EPOLL_CTL_MOD, s->fd, &ev);
}

void agent_unwatch(struct agent *a, struct agent_source *s)
{
	if (a->ep >= 0 && s->fd >= 0)
		epoll_ctl(a->ep, EPOLL_CTL_DEL, s->fd, NULL);
	s->fd = -1;
}

/* Every tick (250 ms): peers are attested on time. */
static void (*const every_tick[])(struct agent *a) = {
	peers_tick,
};

/* Every fourth tick: what may lag by a second. */
static void (*const every_second[])(struct agent *a) = {
	events_check_counters,
	derived_handle_tick,
	flows_expire_tick,
	derived_tick,
	kmod_sync,
	pins_tick,
	serve_tick,
	audit_tick,
};

static int signal_fd = -1, tick_fd = -1;

static void on_signal(struct agent *a)
{
	struct signalfd_siginfo si;

	if (read(signal_fd, &si, sizeof(si)) == sizeof(si))
		a->stopping = 1;
}

static void on_tick(struct agent *a)
{
	static unsigned ticks;
	uint64_t expirations;
	size_t i;

	if (read(tick_fd, &expirations, sizeof(expirations)) < 0)
		return;
	for (i = 0; i < sizeof(every_tick) / sizeof(every_tick[0]); i++)
		every_tick[i](a);
	if (ticks++ % 4)
		return;
	for (i = 0; i < sizeof(every_second) / sizeof(every_second[0]); i++)
		every_second[i](a);
}

static void on_events(struct agent *a)
{
	events_poll(a);
}

int agent_run(struct agent *a)
{
	struct itimerspec tick = { { 0, 250000000 }, { 0, 250000000 } };
	struct agent_source control = { .fd = -1 }, events = { .fd = -1 };
	struct agent_source sig = { .fd = -1 }, timer = { .fd = -1 };
	struct epoll_event evs[8];
	sigset_t mask;
	int i, n;

	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGHUP);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	signal_fd = signalfd(-1, &mask, SFD_CLOEXEC);
	tick_fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC);
	if (signal_fd < 0 || tick_fd < 0 || a->ep < 0 ||
	    timerfd_settime(tick_fd, 0, &tick, NULL) ||
	    agent_watch(a, &control, a->listen_fd, control_accept) ||
	    agent_watch(a, &events, events_fd(a), on_events) ||
	    agent_watch(a, &sig, signal_fd, on_signal) ||
	    agent_watch(a, &timer, tick_fd, on_tick)) {
		perror("trustnoded: event loop");
		return 1;
	}

	fprintf(stderr, "trustnoded: running in %s mode (%s); control socket %s\n",
		attach_mode_name(a->mode), a->mode_reason, a->socket_path);
	while (!a->stopping) {
		n = epoll_wait(a->ep, evs, 8, -1);
		if (n < 0 && errno == EINTR)
			continue;
		for (i = 0; i < n; i++) {
			struct agent_source *s = evs[i].data.ptr;

			s->handle(a);
		}
		/* Group commit: one fdatasync for all records of this turn. */
		audit_commit(a);
	}
	events_drain(a);
	close(signal_fd);
	close(tick_fd);
	return 0;
}
