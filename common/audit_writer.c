// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "audit_record.h"
#include "audit_segments.h"
#include "audit_writer.h"
#include "hex.h"
#include "proto.h"

int64_t tn_audit_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return ts.tv_sec * 1000000LL + ts.tv_nsec / 1000;
}

static void segment_path(struct tn_audit_writer *w, uint64_t first_seq)
{
	char name[TN_AUDIT_SEG_NAME_SIZE];

	tn_audit_seg_name(first_seq, name);
	snprintf(w->seg_path, sizeof(w->seg_path), "%s/%s", w->dir, name);
}

static int open_segment(struct tn_audit_writer *w, struct tn_err *err)
{
	struct stat st;

	w->fd = open(w->seg_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	if (w->fd < 0 || fstat(w->fd, &st))
		return tn_fail_errno(err, errno, "cannot open %s", w->seg_path);
	w->durable.seg_bytes = w->mem.seg_bytes = st.st_size;
	return 0;
}

/* Makes the directory entry of a new segment durable too. */
static void sync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd >= 0) {
		fsync(fd);
		close(fd);
	}
}

static int batch_add(struct tn_audit_writer *w, const char *line,
		     struct tn_err *err)
{
	size_t n = strlen(line);

	if (w->batch_len + n + 1 > w->batch_cap) {
		size_t cap = (w->batch_cap ? 2 * w->batch_cap : 65536) + n + 1;
		char *b = realloc(w->batch, cap);

		if (!b)
			return tn_fail(err, "out of memory");
		w->batch = b;
		w->batch_cap = cap;
	}
	memcpy(w->batch + w->batch_len, line, n);
	w->batch[w->batch_len + n] = '\n';
	w->batch_len += n + 1;
	w->batch_records++;
	w->mem.seg_bytes += n + 1;
	return 0;
}

static int append_line(struct tn_audit_writer *w, uint64_t seq,
		       const char *type, json_object *data, int64_t time_us,
		       struct tn_err *err)
{
	char *line = tn_audit_format(seq, time_us, type, w->mem.head, data);

	if (!line)
		return tn_fail(err, "out of memory");
	if (batch_add(w, line, err)) {
		free(line);
		return -1;
	}
	tn_audit_hash(line, strlen(line), w->mem.head);
	w->mem.next_seq = seq + 1;
	free(line);
	return 0;
}

int tn_audit_append(struct tn_audit_writer *w, const char *type,
		    json_object *data, int64_t time_us, struct tn_err *err)
{
	json_object *empty = NULL;
	int ret;

	if (!data)
		data = empty = json_object_new_object();
	ret = append_line(w, w->mem.next_seq, type, data, time_us, err);
	json_object_put(empty);
	if (!ret)
		w->since_cp++;
	return ret;
}

static void take_back(struct tn_audit_writer *w, const char *why)
{
	/* Whatever reached the file of this batch goes too: the chain on disk
	 * ends at the last durable record. */
	if (ftruncate(w->fd, w->durable.seg_bytes))
		snprintf(w->lost_reason, sizeof(w->lost_reason),
			 "%s; cutting the partial write also failed", why);
	else
		snprintf(w->lost_reason, sizeof(w->lost_reason), "%s", why);
	w->lost += w->batch_records;
	w->lost_total += w->batch_records;
	w->mem = w->durable;
	w->batch_len = 0;
	w->batch_records = 0;
	w->cp_in_batch = 0;
}

static int write_batch(struct tn_audit_writer *w, struct tn_err *err)
{
	size_t off = 0;

	while (off < w->batch_len) {
		ssize_t n = write(w->fd, w->batch + off, w->batch_len - off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return tn_fail_errno(err, errno, "cannot write %s", w->seg_path);
		off += n;
	}
	if (fdatasync(w->fd))
		return tn_fail_errno(err, errno, "cannot sync %s", w->seg_path);
	return 0;
}

static int rotate(struct tn_audit_writer *w, struct tn_err *err)
{
	close(w->fd);
	segment_path(w, w->durable.next_seq);
	if (open_segment(w, err))
		return -1;
	sync_dir(w->dir);
	return 0;
}

int tn_audit_commit(struct tn_audit_writer *w, struct tn_err *err)
{
	uint64_t reported = 0;

	if (!w->batch_records && !w->lost)
		return 0;
	/* Rotate before the batch, so that no segment is ever left empty. */
	if ((uint64_t)w->durable.seg_bytes >= w->seg_limit) {
		if (rotate(w, err)) {
			take_back(w, err->msg);
			return -1;
		}
		w->mem.seg_bytes = w->batch_len;
	}
	/* Records lost to an earlier failure are said before new ones. */
	if (w->lost) {
		json_object *d = json_object_new_object();

		json_object_object_add(d, "count", json_object_new_int64(w->lost));
		json_object_object_add(d, "reason", json_object_new_string(w->lost_reason));
		if (!append_line(w, w->mem.next_seq, "records-lost", d,
				 tn_audit_now_us(), err))
			reported = w->lost;
		json_object_put(d);
	}
	if (write_batch(w, err)) {
		take_back(w, err->msg);
		if (reported)
			w->lost--;	/* the records-lost record itself */
		return -1;
	}
	w->lost -= reported;
	w->written += w->batch_records;
	w->durable = w->mem;
	if (w->cp_in_batch) {
		w->cp_new = 1;
		w->have_cp = 1;
	}
	w->cp_in_batch = 0;
	w->batch_len = 0;
	w->batch_records = 0;
	return 0;
}

int tn_audit_maybe_checkpoint(struct tn_audit_writer *w, int64_t now_us,
			      int force, struct tn_err *err)
{
	uint8_t msg[TN_AUDIT_CP_MSG_LEN], sig[TN_AUDIT_SIG_LEN];
	char hex[2 * TN_AUDIT_SIG_LEN + 1];
	uint64_t covers = w->mem.next_seq - 1;
	json_object *d;
	int ret;

	if (!w->since_cp ||
	    (!force && w->since_cp < w->cp_records &&
	     now_us - w->last_cp_us < (int64_t)w->cp_seconds * 1000000))
		return 0;
	tn_audit_checkpoint_msg(w->log_id, covers, w->mem.head, msg);
	crypto_sign_detached(sig, NULL, msg, sizeof(msg), w->sk);
	d = json_object_new_object();
	tn_hex_encode(w->log_id, TN_AUDIT_LOGID_LEN, hex);
	json_object_object_add(d, "log_id", json_object_new_string(hex));
	json_object_object_add(d, "covers", json_object_new_int64((int64_t)covers));
	tn_hex_encode(w->mem.head, TN_AUDIT_HASH_LEN, hex);
	json_object_object_add(d, "head", json_object_new_string(hex));
	tn_hex_encode(sig, sizeof(sig), hex);
	json_object_object_add(d, "signature", json_object_new_string(hex));
	/* cp_covers/cp_head describe the newest checkpoint once durable. */
	w->cp_covers = covers;
	memcpy(w->cp_head, w->mem.head, TN_AUDIT_HASH_LEN);
	ret = append_line(w, w->mem.next_seq, "checkpoint", d, now_us, err);
	json_object_put(d);
	if (!ret) {
		w->cp_in_batch = 1;
		w->since_cp = 0;
		w->last_cp_us = now_us;
	}
	return ret;
}

int tn_audit_take_checkpoint(struct tn_audit_writer *w, uint64_t *covers,
			     uint8_t head[TN_AUDIT_HASH_LEN])
{
	if (!w->cp_new)
		return 0;
	*covers = w->cp_covers;
	memcpy(head, w->cp_head, TN_AUDIT_HASH_LEN);
	w->cp_new = 0;
	return 1;
}

/* A new log: log-start with a fresh log id. */
static int start_log(struct tn_audit_writer *w, struct tn_err *err)
{
	uint8_t pk[32];
	char hex[65];
	json_object *d = json_object_new_object();
	int ret;

	randombytes_buf(w->log_id, sizeof(w->log_id));
	crypto_sign_ed25519_sk_to_pk(pk, w->sk);
	tn_hex_encode(w->log_id, sizeof(w->log_id), hex);
	json_object_object_add(d, "log_id", json_object_new_string(hex));
	tn_hex_encode(pk, sizeof(pk), hex);
	json_object_object_add(d, "node_key", json_object_new_string(hex));
	segment_path(w, 0);
	ret = open_segment(w, err) ? -1 :
		append_line(w, 0, "log-start", d, tn_audit_now_us(), err);
	json_object_put(d);
	if (!ret)
		sync_dir(w->dir);
	return ret ? -1 : tn_audit_commit(w, err);
}

/* The first line of a segment, whole or torn. */
static int first_line(void *ctx, const struct tn_audit_line *l)
{
	char **out = ctx;

	*out = strdup(l->text);
	return 1;
}

/* The log id, from the first segment's log-start. */
static int read_log_id(struct tn_audit_writer *w, const char *first,
		       struct tn_err *err)
{
	struct tn_audit_rec r;
	char *line = NULL;
	off_t off = 0;
	size_t n;
	int ret = -1;

	tn_audit_read_segment(w->dir, first, NULL, &off, 0, first_line, &line, err);
	if (!line)
		return tn_fail(err, "%s/%s: cannot read the log-start record", w->dir, first);
	ret = tn_audit_parse(line, strlen(line), &r, err);
	free(line);
	if (ret)
		return tn_fail(err, "%s/%s: the first record is unreadable (%s); the log cannot be continued, move %s aside",
			       w->dir, first, err->msg, w->dir);
	ret = -1;
	if (strcmp(r.type, "log-start") ||
	    tn_hex_decode(tn_json_str(r.data, "log_id"), w->log_id,
			  sizeof(w->log_id), &n, "log_id", err) || n != sizeof(w->log_id))
		tn_fail(err, "%s/%s does not begin with a log-start record; move %s aside",
			w->dir, first, w->dir);
	else
		ret = 0;
	tn_audit_rec_free(&r);
	return ret;
}

struct tail_scan {
	struct tn_audit_writer *w;
	uint64_t last;			/* the seq of the last good record */
	int found;
	off_t good;			/* where it ends */
};

static int scan_line(void *ctx, const struct tn_audit_line *l)
{
	struct tail_scan *t = ctx;
	struct tn_audit_writer *w = t->w;
	struct tn_audit_rec r;
	struct tn_err e;

	if (l->torn || tn_audit_parse(l->text, l->len, &r, &e))
		return 1;
	t->found = 1;
	t->last = r.seq;
	t->good = l->end;
	memcpy(w->mem.head, r.hash, TN_AUDIT_HASH_LEN);
	if (!strcmp(r.type, "checkpoint")) {
		w->have_cp = 1;
		w->cp_covers = r.seq - 1;
		tn_audit_json_hex(r.data, "head", w->cp_head, sizeof(w->cp_head));
	}
	tn_audit_rec_free(&r);
	return 0;
}

/*
 * Reads the last segment: the last whole, parseable record is the head.
 * Anything after it (a torn line, garbage) is cut off; returns the number
 * of bytes cut, and the seq of the last good record in *last.
 */
static long scan_tail(struct tn_audit_writer *w, const char *name,
		      uint64_t *last, int *found, struct tn_err *err)
{
	struct tail_scan t = { .w = w };
	struct stat st;
	off_t off = 0;

	if (tn_audit_read_segment(w->dir, name, NULL, &off, 0, scan_line, &t, err) < 0 ||
	    stat(w->seg_path, &st))
		return tn_fail_errno(err, errno, "cannot read %s", w->seg_path);
	*found = t.found;
	*last = t.last;
	return (long)(st.st_size - t.good);
}

static int repair_tail(struct tn_audit_writer *w, const char *name,
		       struct tn_err *err)
{
	uint64_t last = 0;
	int found = 0;
	long cut = scan_tail(w, name, &last, &found, err);
	json_object *d;
	int ret;

	if (cut < 0)
		return -1;
	if (!found)
		return tn_fail(err, "%s holds no readable record; move it aside", w->seg_path);
	w->mem.next_seq = last + 1;
	if (!cut) {
		w->durable = w->mem;
		return 0;
	}
	if (truncate(w->seg_path, w->mem.seg_bytes - cut))
		return tn_fail_errno(err, errno, "cannot cut the torn tail of %s", w->seg_path);
	w->mem.seg_bytes -= cut;
	w->durable = w->mem;
	snprintf(w->repaired, sizeof(w->repaired),
		 "%s: cut %ld bytes after record %llu (a write torn by a crash); seq %llu is skipped",
		 w->seg_path, cut, (unsigned long long)last,
		 (unsigned long long)last + 1);
	d = json_object_new_object();
	json_object_object_add(d, "cut_bytes", json_object_new_int64(cut));
	json_object_object_add(d, "last_good_seq", json_object_new_int64((int64_t)last));
	json_object_object_add(d, "skipped_seq", json_object_new_int64((int64_t)last + 1));
	/* Never reuse a seq that may have been half-written. */
	ret = append_line(w, last + 2, "log-repaired", d, tn_audit_now_us(), err);
	json_object_put(d);
	return ret ? -1 : tn_audit_commit(w, err);
}

static int is_empty(const char *path)
{
	struct stat st;

	return !stat(path, &st) && st.st_size == 0;
}

int tn_audit_open(struct tn_audit_writer *w, const char *dir,
		  const uint8_t sk[64], uint64_t seg_limit,
		  unsigned cp_records, unsigned cp_seconds, struct tn_err *err)
{
	char **names, *last;
	int n, ret;

	memset(w, 0, sizeof(*w));
	w->fd = -1;
	snprintf(w->dir, sizeof(w->dir), "%s", dir);
	memcpy(w->sk, sk, sizeof(w->sk));
	w->seg_limit = seg_limit;
	w->cp_records = cp_records;
	w->cp_seconds = cp_seconds;
	w->last_cp_us = tn_audit_now_us();
	if (mkdir(dir, 0700) && errno != EEXIST)
		return tn_fail_errno(err, errno, "cannot create %s", dir);
	if (tn_audit_segments(dir, &names, &n, err))
		return -1;
	if (!n) {
		tn_audit_segments_free(names, n);
		return start_log(w, err);
	}
	last = names[n - 1];
	snprintf(w->seg_path, sizeof(w->seg_path), "%s/%s", dir, last);
	/* A crash right after a rotation can leave the newest segment empty. */
	if (n > 1 && is_empty(w->seg_path)) {
		unlink(w->seg_path);
		last = names[n - 2];
		snprintf(w->seg_path, sizeof(w->seg_path), "%s/%s", dir, last);
	}
	ret = read_log_id(w, names[0], err) || open_segment(w, err) ||
	      repair_tail(w, last, err);
	tn_audit_segments_free(names, n);
	return ret ? -1 : 0;
}

void tn_audit_close(struct tn_audit_writer *w)
{
	if (w->fd >= 0)
		close(w->fd);
	w->fd = -1;
	free(w->batch);
	w->batch = NULL;
	sodium_memzero(w->sk, sizeof(w->sk));
}
