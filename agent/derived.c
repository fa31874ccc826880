// SPDX-License-Identifier: GPL-2.0-only
/*
 * Derived tags of files that no longer exist. BPF knows a derived file only
 * by (device, inode), and an inode number alone cannot say whether the file
 * is still there. So when the derive event arrives the agent looks for the
 * file among the writer's descriptors and keeps a file handle
 * (name_to_handle_at), which carries the inode's generation: later,
 * open_by_handle_at answers ESTALE once that inode is gone, even if its
 * number was reused. trustctl tag prune, and the agent's timer a slice at a
 * time, remove exactly those tags, each recorded; a tag without a handle, or
 * whose file system is not mounted, is kept (it cannot be shown to be gone).
 *
 * Expiry by age is another matter: the file is (or may be) still there, and
 * its data loses its labels. So it happens only when the policy sets
 * derived_max_age, counts from the last write anything knows of (the
 * kernel's entry, the file's ctime, the agent's record), and each one is
 * recorded and measured as a weakening.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <unistd.h>
#include "agent.h"
#include "clock.h"
#include "hex.h"
#include "proto.h"
#include "trustnode.skel.h"
#include "trustnode/bpf_shared.h"

#define MAX_HANDLE 128

char *derived_handle(uint32_t pid, uint64_t dev, uint64_t ino)
{
	char dir[64], path[384], *out = NULL;
	struct dirent *de;
	DIR *d;

	if (!pid)
		return NULL;
	snprintf(dir, sizeof(dir), "/proc/%u/fd", pid);
	d = opendir(dir);
	if (!d)
		return NULL;
	while (!out && (de = readdir(d))) {
		union {
			struct file_handle fh;
			char buf[sizeof(struct file_handle) + MAX_HANDLE];
		} h;
		struct stat st;
		int mount_id;

		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		if (stat(path, &st) || st.st_ino != ino ||
		    tn_kernel_dev(st.st_dev) != dev)
			continue;
		h.fh.handle_bytes = MAX_HANDLE;
		if (name_to_handle_at(AT_FDCWD, path, &h.fh, &mount_id,
				      AT_SYMLINK_FOLLOW))
			break;
		out = malloc(16 + 2 * h.fh.handle_bytes + 1);
		if (out) {
			int n = sprintf(out, "%d:", h.fh.handle_type);

			tn_hex_encode((const uint8_t *)h.fh.f_handle,
				      h.fh.handle_bytes, out + n);
		}
	}
	closedir(d);
	return out;
}

/*
 * lsm mode judges an open before its descriptor exists, so a derive event
 * can arrive before the file is among the writer's descriptors. Those are
 * looked for again on the next few ticks. Bounded: under a flood of such
 * events a retry is dropped (the tag stays, unchecked), never the tag.
 */
#define HANDLE_RETRIES	64
#define HANDLE_TRIES	3

static struct {
	uint32_t pid;
	uint64_t dev, ino;
	int tries;
} retry[HANDLE_RETRIES];

void derived_handle_later(uint32_t pid, uint64_t dev, uint64_t ino)
{
	int i;

	for (i = 0; pid && i < HANDLE_RETRIES; i++)
		if (!retry[i].tries) {
			retry[i].pid = pid;
			retry[i].dev = dev;
			retry[i].ino = ino;
			retry[i].tries = HANDLE_TRIES;
			return;
		}
}

void derived_handle_tick(struct agent *a)
{
	int i;

	for (i = 0; i < HANDLE_RETRIES; i++) {
		char *h;

		if (!retry[i].tries)
			continue;
		retry[i].tries--;
		h = derived_handle(retry[i].pid, retry[i].dev, retry[i].ino);
		if (!h)
			continue;
		retry[i].tries = 0;
		state_set_tag_handle(a, retry[i].dev, retry[i].ino, h);
	}
	state_flush(a);
}

/* A directory where the file system of dev is mounted, opened. */
static int mount_fd(uint64_t dev)
{
	unsigned maj = dev >> 20, min = dev & 0xfffff, m1, m2;
	char line[4096], mnt[PATH_MAX];
	FILE *f = fopen("/proc/self/mountinfo", "r");
	int fd = -1;

	if (!f)
		return -1;
	while (fd < 0 && fgets(line, sizeof(line), f))
		if (sscanf(line, "%*d %*d %u:%u %*s %4095s", &m1, &m2, mnt) == 3 &&
		    m1 == maj && m2 == min)
			fd = open(mnt, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	fclose(f);
	return fd;
}

/*
 * 0: the inode is gone; 1: it exists (*ctime set); -1: cannot tell. mfd:
 * where its file system is mounted (-1: looked up here).
 */
static int derived_exists_at(const struct reg_tag *t, int mfd, int64_t *ctime)
{
	union {
		struct file_handle fh;
		char buf[sizeof(struct file_handle) + MAX_HANDLE];
	} h;
	struct tn_err e;
	struct stat st;
	char *end;
	size_t len;
	int fd, type, own = mfd < 0;

	if (!t->handle)
		return -1;
	type = strtol(t->handle, &end, 10);
	if (*end != ':' ||
	    tn_hex_decode(end + 1, (uint8_t *)h.fh.f_handle, MAX_HANDLE, &len,
			  "file handle", &e))
		return -1;
	h.fh.handle_bytes = len;
	h.fh.handle_type = type;
	if (own)
		mfd = mount_fd(t->dev);
	if (mfd < 0)
		return -1;
	fd = open_by_handle_at(mfd, &h.fh, O_PATH | O_CLOEXEC);
	if (own)
		close(mfd);
	if (fd >= 0) {
		if (ctime && !fstat(fd, &st))
			*ctime = st.st_ctim.tv_sec;
		close(fd);
		return 1;
	}
	return errno == ESTALE ? 0 : -1;
}

static int derived_exists(const struct reg_tag *t)
{
	return derived_exists_at(t, -1, NULL);
}

int derived_prune(struct agent *a, json_object *reply, struct tn_err *err)
{
	json_object *pruned = json_object_new_array();
	struct registry next;
	int i, kept = 0, unknown = 0;

	if (registry_copy(&next, &a->reg)) {
		registry_free(&next);
		json_object_put(pruned);
		return tn_fail(err, "out of memory");
	}
	for (i = next.ntags - 1; i >= 0; i--) {
		const struct reg_tag *t = &next.tags[i];
		int e;

		if (t->source != TN_SRC_DERIVED)
			continue;
		e = derived_exists(t);
		if (e) {
			kept += e > 0;
			unknown += e < 0;
			continue;
		}
		/* The kernel's entry first: a failure leaves both as they were. */
		if (maps_derived_remove(a, t->dev, t->ino, err)) {
			registry_free(&next);
			json_object_put(pruned);
			return -1;
		}
		json_object_array_add(pruned, registry_tag_json(&next, t));
		registry_remove_tag(&next, i);
	}
	if (json_object_array_length(pruned) && agent_commit(a, &next, err)) {
		registry_free(&next);
		json_object_put(pruned);
		return -1;
	}
	if (!json_object_array_length(pruned))
		registry_free(&next);
	for (i = 0; i < (int)json_object_array_length(pruned); i++) {
		json_object *o = json_object_get(json_object_array_get_idx(pruned, i));

		json_object_object_add(o, "note", json_object_new_string(
			"derived tag pruned: its file no longer exists"));
		events_record(a, "tag-pruned", o);
	}
	json_object_object_add(reply, "pruned", pruned);
	json_object_object_add(reply, "kept", json_object_new_int(kept));
	json_object_object_add(reply, "unchecked", json_object_new_int(unknown));
	return 0;
}

/* ---- on the timer ------------------------------------------------------- */

/* Derived tags looked at per tick: a slice, not the whole table at once. */
#define SCAN_SLICE	256

uint64_t derived_boot_ns(int64_t unix_s)
{
	int64_t boot_real = clock_ns(CLOCK_REALTIME) - clock_ns(CLOCK_BOOTTIME);
	int64_t ns = unix_s * 1000000000LL - boot_real;

	return ns > 0 ? ns : 0;
}

/* Mount directories of the devices met in one slice. */
struct mounts {
	uint64_t dev[8];
	int fd[8], n;
};

static int mounts_fd(struct mounts *m, uint64_t dev)
{
	int i;

	for (i = 0; i < m->n; i++)
		if (m->dev[i] == dev)
			return m->fd[i];
	if (m->n == 8)
		return -1;	/* the next slice gets to it */
	m->dev[m->n] = dev;
	m->fd[m->n] = mount_fd(dev);
	return m->fd[m->n++];
}

/*
 * The last write of a derived file as far as anything says: the agent's
 * record, the kernel's entry (any open for writing by a tainted workload
 * refreshes it), and the file's ctime, which any write moves and no one
 * without root's clock can set back.
 */
static int64_t last_write(struct agent *a, int i, int64_t ctime)
{
	const struct reg_tag *t = &a->reg.tags[i];
	struct tn_inode_key k = { .dev = t->dev, .ino = t->ino };
	int64_t lw = t->last_write, boot_real;
	struct tn_derived d;

	boot_real = clock_ns(CLOCK_REALTIME) - clock_ns(CLOCK_BOOTTIME);
	if (!bpf_map_lookup_elem(bpf_map__fd(a->skel->maps.tn_derived), &k, &d) &&
	    d.last_ns && (int64_t)((d.last_ns + boot_real) / 1000000000LL) > lw)
		lw = (d.last_ns + boot_real) / 1000000000LL;
	/* Kept for after a reboot, when the kernel's entry starts over. */
	if (lw > t->last_write + 60)
		state_note_last_write(a, i, lw);
	return ctime > lw ? ctime : lw;
}

static json_object *gone_json(struct agent *a, const struct reg_tag *t,
			      const char *note)
{
	json_object *o = registry_tag_json(&a->reg, t);

	json_object_object_add(o, "note", json_object_new_string(note));
	return o;
}

void derived_tick(struct agent *a)
{
	static int cursor;
	struct mounts m = { .n = 0 };
	int64_t now = time(NULL), max = a->reg.derived_max_age;
	int i, seen = 0, expired = 0;
	json_object *records = json_object_new_array();
	struct tn_err err;

	if (cursor >= a->reg.ntags)
		cursor = 0;
	for (i = cursor; i < a->reg.ntags && seen < SCAN_SLICE; ) {
		const struct reg_tag *t = &a->reg.tags[i];
		int64_t ctime = 0, age;
		const char *why = NULL;
		int e;

		if (t->source != TN_SRC_DERIVED) {
			i++;
			continue;
		}
		seen++;
		e = t->handle ? derived_exists_at(t, mounts_fd(&m, t->dev), &ctime) : -1;
		age = now - last_write(a, i, ctime);
		if (!e)
			why = "derived tag pruned: its file no longer exists";
		else if (max && age > max)
			why = e > 0 ? "derived tag expired: not written for longer than the policy's derived_max_age; the file still exists and its data no longer carries these labels" :
				      "derived tag expired: not written for longer than the policy's derived_max_age; whether the file still exists is unknown (no file handle), its data no longer carries these labels";
		if (!why || maps_derived_remove(a, t->dev, t->ino, &err)) {
			i++;
			continue;
		}
		{
			json_object *o = gone_json(a, t, why);

			if (e) {
				json_object_object_add(o, "age_s", json_object_new_int64(age));
				json_object_object_add(o, "derived_max_age_s", json_object_new_int64(max));
				json_object_object_add(o, "type", json_object_new_string("tag-expired"));
				expired++;
			} else {
				json_object_object_add(o, "type", json_object_new_string("tag-pruned"));
			}
			json_object_array_add(records, o);
		}
		state_drop_tag(a, i);
	}
	cursor = i;
	for (i = 0; i < m.n; i++)
		if (m.fd[i] >= 0)
			close(m.fd[i]);
	state_flush(a);
	for (i = 0; i < (int)json_object_array_length(records); i++) {
		json_object *o = json_object_get(json_object_array_get_idx(records, i));
		char type[32];

		snprintf(type, sizeof(type), "%s", tn_json_str(o, "type"));
		json_object_object_del(o, "type");
		events_record(a, type, o);
	}
	json_object_put(records);
	if (expired) {
		char what[128];

		/* Labelled data became unlabelled: peers must see it. */
		snprintf(what, sizeof(what), "%d derived tags expired (derived_max_age %llu s)",
			 expired, (unsigned long long)max);
		measure_weakening(a, what);
	}
}
