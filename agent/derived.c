// SPDX-License-Identifier: GPL-2.0-only
/*
 * Derived tags of files that no longer exist. BPF knows a derived file only
 * by (device, inode), and an inode number alone cannot say whether the file
 * is still there. So when the derive event arrives the agent looks for the
 * file among the writer's descriptors and keeps a file handle
 * (name_to_handle_at), which carries the inode's generation: later,
 * open_by_handle_at answers ESTALE once that inode is gone, even if its
 * number was reused. trustctl tag prune removes exactly those tags, each
 * recorded; a tag without a handle, or whose file system is not mounted,
 * is kept (it cannot be shown to be gone).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "agent.h"
#include "hex.h"

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
	struct tn_err err;
	int i, found = 0;

	for (i = 0; i < HANDLE_RETRIES; i++) {
		char *h;

		if (!retry[i].tries)
			continue;
		retry[i].tries--;
		h = derived_handle(retry[i].pid, retry[i].dev, retry[i].ino);
		if (!h)
			continue;
		retry[i].tries = 0;
		if (!registry_set_tag_handle(&a->reg, retry[i].dev, retry[i].ino, h))
			found = 1;
	}
	if (found && registry_save(&a->reg, a->state_path, &err))
		fprintf(stderr, "trustnoded: %s\n", err.msg);
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

/* 0: the inode is gone; 1: it exists; -1: cannot tell. */
static int derived_exists(const struct reg_tag *t)
{
	union {
		struct file_handle fh;
		char buf[sizeof(struct file_handle) + MAX_HANDLE];
	} h;
	struct tn_err e;
	char *end;
	size_t len;
	int mfd, fd, type;

	if (!t->handle)
		return -1;
	type = strtol(t->handle, &end, 10);
	if (*end != ':' ||
	    tn_hex_decode(end + 1, (uint8_t *)h.fh.f_handle, MAX_HANDLE, &len,
			  "file handle", &e))
		return -1;
	h.fh.handle_bytes = len;
	h.fh.handle_type = type;
	mfd = mount_fd(t->dev);
	if (mfd < 0)
		return -1;
	fd = open_by_handle_at(mfd, &h.fh, O_PATH | O_CLOEXEC);
	close(mfd);
	if (fd >= 0) {
		close(fd);
		return 1;
	}
	return errno == ESTALE ? 0 : -1;
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
		if (bpf_derived_remove(a, t->dev, t->ino, err)) {
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
