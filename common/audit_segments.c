// SPDX-License-Identifier: GPL-2.0-only
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "audit_segments.h"

#define PREFIX "audit-"
#define SUFFIX ".jsonl"
#define DIGITS 16

void tn_audit_seg_name(uint64_t first_seq, char out[TN_AUDIT_SEG_NAME_SIZE])
{
	snprintf(out, TN_AUDIT_SEG_NAME_SIZE, PREFIX "%0*llu" SUFFIX, DIGITS,
		 (unsigned long long)first_seq);
}

int tn_audit_seg_first(const char *name, uint64_t *first_seq)
{
	const size_t pre = sizeof(PREFIX) - 1;

	if (strlen(name) != TN_AUDIT_SEG_NAME_SIZE - 1 ||
	    strncmp(name, PREFIX, pre) ||
	    strspn(name + pre, "0123456789") != DIGITS ||
	    strcmp(name + pre + DIGITS, SUFFIX))
		return -1;
	*first_seq = strtoull(name + pre, NULL, 10);
	return 0;
}

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

void tn_audit_segments_free(char **names, int n)
{
	for (int i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

int tn_audit_segments(const char *dir, char ***names, int *n,
		      struct tn_err *err)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char **v = NULL, **grown;
	uint64_t first;
	int count = 0;

	*names = NULL;
	*n = 0;
	if (!d)
		return tn_fail_errno(err, errno, "cannot open the audit log directory %s", dir);
	while ((e = readdir(d))) {
		if (tn_audit_seg_first(e->d_name, &first))
			continue;
		grown = realloc(v, (count + 1) * sizeof(*v));
		if (grown) {
			v = grown;
			v[count] = strdup(e->d_name);
		}
		if (!grown || !v[count]) {
			tn_audit_segments_free(v, count);
			closedir(d);
			return tn_fail(err, "out of memory listing %s", dir);
		}
		count++;
	}
	closedir(d);
	/* Fixed-width numbers: name order is seq order. */
	if (count)
		qsort(v, count, sizeof(*v), by_name);
	*names = v;
	*n = count;
	return 0;
}

int tn_audit_seg_holding(char *const *names, int n, uint64_t seq)
{
	uint64_t first;
	int at = 0;

	for (int i = 0; i < n; i++) {
		if (tn_audit_seg_first(names[i], &first) || first > seq)
			break;
		at = i;
	}
	return at;
}

int tn_audit_line_seq(const char *line, size_t len, uint64_t *seq)
{
	static const char head[] = "{\"seq\":";
	const size_t h = sizeof(head) - 1;
	uint64_t v = 0;
	size_t i;

	if (len <= h || strncmp(line, head, h) || line[h] < '0' || line[h] > '9')
		return -1;
	for (i = h; i < len && line[i] >= '0' && line[i] <= '9'; i++) {
		if (i - h == 19)
			return -1;
		v = v * 10 + (line[i] - '0');
	}
	if (i == len || line[i] != ',')
		return -1;
	*seq = v;
	return 0;
}

void tn_audit_line_where(const struct tn_audit_line *l, char *out, size_t n)
{
	snprintf(out, n, "%s:%lu", l->segment, l->lineno);
}

/* A writer may be appending right now: give a last line a moment to end. */
static ssize_t settle(FILE *f, char **buf, size_t *cap, ssize_t n)
{
	char *more = NULL, *grown;
	size_t mcap = 0;
	ssize_t m;

	for (int i = 0; i < 3 && (*buf)[n - 1] != '\n'; i++) {
		usleep(100 * 1000);
		clearerr(f);
		m = getline(&more, &mcap, f);
		if (m <= 0)
			continue;
		grown = realloc(*buf, n + m + 1);
		if (!grown)
			break;
		memcpy(grown + n, more, m + 1);
		*buf = grown;
		*cap = n + m + 1;
		n += m;
	}
	free(more);
	return n;
}

/* skip_gone: a segment that no longer exists reads as empty. */
static int read_segment(const char *dir, const char *name, const char *next,
			off_t *off, int flags, tn_audit_line_fn fn, void *ctx,
			struct tn_err *err, int skip_gone)
{
	struct tn_audit_line l = { .segment = name, .next = next };
	char path[4200], *buf = NULL;
	size_t cap = 0;
	ssize_t n;
	FILE *f;
	int ret = 0;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "re");
	if (!f && skip_gone && errno == ENOENT)
		return 0;
	if (!f)
		return tn_fail_errno(err, errno, "cannot read %s", path);
	if (*off && fseeko(f, *off, SEEK_SET)) {
		fclose(f);
		return tn_fail_errno(err, errno, "cannot read %s", path);
	}
	while (!ret && (n = getline(&buf, &cap, f)) > 0) {
		if (buf[n - 1] != '\n' && !next && (flags & TN_AUDIT_SETTLE))
			n = settle(f, &buf, &cap, n);
		l.torn = buf[n - 1] != '\n';
		if (!l.torn)
			*off += n;
		l.len = n - !l.torn;
		buf[l.len] = '\0';
		l.text = buf;
		l.end = *off;
		l.lineno++;
		ret = fn(ctx, &l);
		if (l.torn)
			break;
	}
	if (!ret && ferror(f))
		ret = tn_fail_errno(err, errno, "cannot read %s", path);
	free(buf);
	fclose(f);
	return ret;
}

int tn_audit_read_segment(const char *dir, const char *name, const char *next,
			  off_t *off, int flags, tn_audit_line_fn fn, void *ctx,
			  struct tn_err *err)
{
	return read_segment(dir, name, next, off, flags, fn, ctx, err, 0);
}

int tn_audit_read_log(const char *dir, uint64_t from_seq, int flags,
		      tn_audit_line_fn fn, void *ctx, int *segments,
		      struct tn_err *err)
{
	char **names;
	int n, ret = 0;
	off_t off;

	if (tn_audit_segments(dir, &names, &n, err))
		return -1;
	if (segments)
		*segments = n;
	for (int i = n ? tn_audit_seg_holding(names, n, from_seq) : 0; i < n && !ret; i++) {
		off = 0;
		/* Gone since the listing: a restart removed an empty newest one. */
		ret = read_segment(dir, names[i], i + 1 < n ? names[i + 1] : NULL,
				   &off, flags, fn, ctx, err, 1);
	}
	tn_audit_segments_free(names, n);
	return ret;
}
