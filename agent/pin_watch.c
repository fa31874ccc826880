// SPDX-License-Identifier: GPL-2.0-only
/*
 * What root can do to the BPF side behind the agent's back, short of
 * stopping it: unpin a link (detaching a program), pin a link to another
 * program in its place, or put another map at a map's pin path (the next
 * agent adopts whatever is pinned there). Once a second the pins are
 * compared with what this agent attached or adopted at start (program and
 * map ids); each
 * difference is a weakening — measured, so the next quote shows it — and
 * an audit record, once for as long as it lasts (again if it recurs).
 *
 * Not seen: a map's contents edited through its pin or its id (the agent
 * cannot tell such a write from its own), and a program detached and put
 * back between two checks. A link replaced before the agent started runs
 * the agent's own program again once it starts (bpf_attach.c replaces or
 * updates every pinned link).
 */
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "agent.h"
#include "attest.h"
#include "trustnode.skel.h"

/* The id of the BPF object behind fd (a program, map or link), 0 if none. */
static __u32 obj_id(int fd, __u32 *prog_id)
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
	/* id is the first member of each of the three. */
	return info.p.id;
}

/* One pin found wrong: measured and recorded while it is new. */
static void wrong(struct agent *a, int slot, const char *what)
{
	if (slot < 64 && (a->pins_bad & (1ULL << slot)))
		return;
	if (slot < 64)
		a->pins_bad |= 1ULL << slot;
	weakening_seen(a, "bpf-pin-replaced", what);
}

static void right(struct agent *a, int slot)
{
	if (slot < 64)
		a->pins_bad &= ~(1ULL << slot);
}

void pins_check(struct agent *a)
{
	const char *names[TN_LINK_SLOTS];
	uint32_t ids[TN_LINK_SLOTS];
	struct bpf_map *map;
	char pin[4200], what[480];
	int n, slot = 0;

	if (!a->skel)
		return;
	n = bpf_link_slots(a, names, ids, TN_LINK_SLOTS);
	for (int i = 0; i < n; i++, slot++) {
		__u32 want = ids[i], got = 0;
		int fd;

		snprintf(pin, sizeof(pin), "%s/links/%s", a->opt.pin_dir, names[i]);
		fd = bpf_obj_get(pin);
		if (fd < 0) {
			snprintf(what, sizeof(what), "BPF link %.40s unpinned (%.300s is gone): the program is detached",
				 names[i], pin);
			wrong(a, slot, what);
			continue;
		}
		obj_id(fd, &got);
		close(fd);
		if (got != want) {
			snprintf(what, sizeof(what), "BPF link %.40s runs another program (id %u, not %u): %.300s was replaced",
				 names[i], got, want, pin);
			wrong(a, slot, what);
			continue;
		}
		right(a, slot);
	}
	bpf_object__for_each_map(map, a->skel->obj) {
		const char *path = bpf_map__pin_path(map);
		__u32 want, got;
		int fd;

		if (!bpf_map__is_pinned(map) || !path)
			continue;
		slot++;
		want = obj_id(bpf_map__fd(map), NULL);
		fd = bpf_obj_get(path);
		got = obj_id(fd, NULL);
		if (fd >= 0)
			close(fd);
		if (got != want) {
			snprintf(what, sizeof(what), fd < 0 ?
				 "BPF map pin %.300s is gone: the next agent would start with an empty %.40s" :
				 "BPF map pin %.300s is another map than the %.40s the agent uses",
				 path, bpf_map__name(map));
			wrong(a, slot, what);
			continue;
		}
		right(a, slot);
	}
}
