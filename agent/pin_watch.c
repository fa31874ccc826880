// SPDX-License-Identifier: GPL-2.0-only
/*
 * What root can do to the BPF side behind the agent's back, short of
 * stopping it: unpin a link (detaching a program), detach a cgroup link by
 * its id, pin another link in a link's place (to another program, or to
 * the same one attached elsewhere), or put another map at a map's pin path
 * (the next agent adopts whatever is pinned there). The pins are compared
 * with what this agent attached or adopted at start (link, program and map
 * ids); each difference is a weakening (measured, so the next quote shows
 * it) and an audit record, once for as long as it lasts (again if it
 * recurs).
 *
 * When: as soon as inotify reports a change in the pin directory or its
 * links/ (a pin removed, made or renamed over); every second for the
 * cgroup links, which root can detach or switch to another program by
 * their ids (BPF_LINK_DETACH, BPF_LINK_UPDATE) without a pin changing; and
 * every PINS_BACKSTOP_S seconds for the rest of what inotify does not
 * report (a mount over the pin directory or a pin). A whole check is about
 * a hundred bpf() calls, the cgroup links' a fifth of that: once a second,
 * the whole check was most of an idle agent's CPU. Where the directories
 * cannot be watched (inotify refused, a watched directory removed or
 * moved), all every second.
 *
 * Not seen: a map's contents edited through its pin or its id (the agent
 * cannot tell such a write from its own), and a cgroup link detached or
 * switched to another program and back within a second. A link replaced
 * before the agent started runs the agent's own program again once it
 * starts (bpf_attach.c replaces or updates every pinned link).
 */
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/inotify.h>
#include <unistd.h>
#include "agent.h"
#include "attest.h"
#include "trustnode.skel.h"

#define PINS_BACKSTOP_S	10

/*
 * The id of the BPF object behind fd (a program, map or link), 0 if none;
 * for a link, the program it runs, and whether it is a cgroup link that
 * was detached (its program no longer runs, whatever the pin says).
 */
static __u32 obj_id(int fd, __u32 *prog_id, int *detached)
{
	union {
		struct bpf_prog_info p;
		struct bpf_map_info m;
		struct bpf_link_info l;
	} info;
	__u32 len = sizeof(info);

	memset(&info, 0, sizeof(info));
	if (fd < 0 || bpf_obj_get_info_by_fd(fd, &info, &len))
		return 0;
	if (prog_id)
		*prog_id = info.l.prog_id;
	if (detached)
		*detached = info.l.type == BPF_LINK_TYPE_CGROUP &&
			    !info.l.cgroup.cgroup_id;
	/* Each of the three begins with its type and its id. */
	return info.p.id;
}

/* How a pin is wrong: each kind is recorded once while it lasts. */
enum pin_wrong { PIN_RIGHT, PIN_GONE, PIN_OTHER, PIN_DETACHED };

static void wrong(struct agent *a, int slot, enum pin_wrong how, const char *what)
{
	if (slot < TN_PIN_SLOTS) {
		if (a->pin_wrong[slot] == how)
			return;
		a->pin_wrong[slot] = how;
	}
	weakening_seen(a, "bpf-pin-replaced", what);
}

static void right(struct agent *a, int slot)
{
	if (slot < TN_PIN_SLOTS)
		a->pin_wrong[slot] = PIN_RIGHT;
}

/* All pins, or only the cgroup links' (cgroup_only). */
static void pins_check(struct agent *a, int cgroup_only)
{
	struct pinned_link links[TN_LINK_SLOTS];
	struct bpf_map *map;
	char pin[4200], what[480];
	int n, slot = 0;

	if (!a->skel)
		return;
	n = bpf_link_slots(a, links, TN_LINK_SLOTS);
	for (int i = 0; i < n; i++, slot++) {
		const struct pinned_link *l = &links[i];
		__u32 got = 0, link;
		int fd, detached = 0;

		if (cgroup_only && !l->cgroup)
			continue;
		snprintf(pin, sizeof(pin), "%s/links/%s", a->opt.pin_dir, l->name);
		fd = bpf_obj_get(pin);
		if (fd < 0) {
			snprintf(what, sizeof(what), "BPF link %.40s unpinned (%.300s is gone): the program is detached",
				 l->name, pin);
			wrong(a, slot, PIN_GONE, what);
			continue;
		}
		link = obj_id(fd, &got, &detached);
		close(fd);
		if (l->link_id && link != l->link_id) {
			/* Even of the same program: attached elsewhere, maybe. */
			snprintf(what, sizeof(what), "BPF link %.40s is another link (id %u, not %u): %.300s was replaced",
				 l->name, link, l->link_id, pin);
			wrong(a, slot, PIN_OTHER, what);
			continue;
		}
		if (detached) {
			snprintf(what, sizeof(what), "BPF link %.40s detached from its cgroup (%.300s is still pinned): the program is detached",
				 l->name, pin);
			wrong(a, slot, PIN_DETACHED, what);
			continue;
		}
		if (got != l->prog_id) {
			snprintf(what, sizeof(what), "BPF link %.40s runs another program (id %u, not %u): %.300s was replaced",
				 l->name, got, l->prog_id, pin);
			wrong(a, slot, PIN_OTHER, what);
			continue;
		}
		right(a, slot);
	}
	if (cgroup_only)
		return;
	bpf_object__for_each_map(map, a->skel->obj) {
		const char *path = bpf_map__pin_path(map);
		__u32 want, got;
		int fd;

		if (!bpf_map__is_pinned(map) || !path)
			continue;
		slot++;
		want = obj_id(bpf_map__fd(map), NULL, NULL);
		fd = bpf_obj_get(path);
		got = obj_id(fd, NULL, NULL);
		if (fd >= 0)
			close(fd);
		if (got != want) {
			snprintf(what, sizeof(what), fd < 0 ?
				 "BPF map pin %.300s is gone: the next agent would start with an empty %.40s" :
				 "BPF map pin %.300s is another map than the %.40s the agent uses",
				 path, bpf_map__name(map));
			wrong(a, slot, fd < 0 ? PIN_GONE : PIN_OTHER, what);
			continue;
		}
		right(a, slot);
	}
}

/* Watching stops: every second from now on. */
void pins_watch_close(struct agent *a)
{
	if (a->pins_inotify < 0)
		return;
	agent_unwatch(a, &a->pins_src);
	close(a->pins_inotify);
	a->pins_inotify = -1;
}

/* A pin directory changed (inotify is readable): check now. */
static void pins_changed(struct agent *a)
{
	char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
	int dead = 0;
	ssize_t r;

	while ((r = read(a->pins_inotify, buf, sizeof(buf))) > 0) {
		for (char *p = buf; p < buf + r;) {
			const struct inotify_event *e = (const void *)p;

			/* Its watch is dead or watches another path now. */
			if (e->mask & (IN_IGNORED | IN_DELETE_SELF | IN_MOVE_SELF |
				       IN_UNMOUNT))
				dead = 1;
			p += sizeof(*e) + e->len;
		}
	}
	/* An overflowed queue (IN_Q_OVERFLOW) lost events: check anyway. */
	if (dead) {
		fprintf(stderr, "trustnoded: a pin directory under %s was removed or moved: checking the pins every second\n",
			a->opt.pin_dir);
		pins_watch_close(a);
	}
	pins_check(a, 0);
	a->pins_idle_seconds = 0;
}

#define PINS_WATCH_MASK	(IN_CREATE | IN_DELETE | IN_MOVED_FROM | IN_MOVED_TO | \
			 IN_DELETE_SELF | IN_MOVE_SELF | IN_ONLYDIR)

/*
 * After the links are pinned. Without inotify the agent still runs,
 * checking every second, and says so.
 */
int pins_watch_open(struct agent *a)
{
	char links[4200];

	a->pins_inotify = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	snprintf(links, sizeof(links), "%s/links", a->opt.pin_dir);
	if (a->pins_inotify < 0 ||
	    inotify_add_watch(a->pins_inotify, a->opt.pin_dir, PINS_WATCH_MASK) < 0 ||
	    inotify_add_watch(a->pins_inotify, links, PINS_WATCH_MASK) < 0 ||
	    agent_watch(a, &a->pins_src, a->pins_inotify, pins_changed)) {
		fprintf(stderr, "trustnoded: cannot watch %s for changes (%s): checking the pins every second\n",
			a->opt.pin_dir, strerror(errno));
		if (a->pins_inotify >= 0)
			close(a->pins_inotify);
		a->pins_inotify = -1;
		return -1;
	}
	pins_check(a, 0);
	return 0;
}

/*
 * Once a second: the cgroup links; all pins if nothing is watched, or at
 * the backstop.
 */
void pins_tick(struct agent *a)
{
	if (a->pins_inotify >= 0 && ++a->pins_idle_seconds < PINS_BACKSTOP_S) {
		pins_check(a, 1);
		return;
	}
	pins_check(a, 0);
	a->pins_idle_seconds = 0;
}
