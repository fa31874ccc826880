/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The audit log's segment store: the one place that knows how the log lies
 * on disk (include/trustnode/audit_api.h). A log is a directory of segments
 * audit-<first seq, 16 digits>.jsonl, one record a line; name order is seq
 * order. The writer, the verifier, the HTTP pages, trustctl log and
 * trustctl events all read it through these functions, so a torn tail (a
 * last line without its newline) is seen the same way by every reader.
 */
#ifndef TN_AUDIT_SEGMENTS_H
#define TN_AUDIT_SEGMENTS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include "err.h"

/* "audit-" 16 digits ".jsonl" and its NUL. */
#define TN_AUDIT_SEG_NAME_SIZE 29

/* The name of the segment whose first record is first_seq. */
void tn_audit_seg_name(uint64_t first_seq, char out[TN_AUDIT_SEG_NAME_SIZE]);
/* The first seq a segment name stands for; -1 if name is not a segment's. */
int tn_audit_seg_first(const char *name, uint64_t *first_seq);

/* Segment file names in dir, sorted; free with tn_audit_segments_free. */
int tn_audit_segments(const char *dir, char ***names, int *n,
		      struct tn_err *err);
void tn_audit_segments_free(char **names, int n);
/* The index of the segment that holds seq: the last one starting at or before it. */
int tn_audit_seg_holding(char *const *names, int n, uint64_t seq);

/*
 * The seq of a line as the writer writes it ({"seq":N,...), without parsing
 * the rest; -1 if the line does not begin so.
 */
int tn_audit_line_seq(const char *line, size_t len, uint64_t *seq);

/* One line of a segment, handed to a tn_audit_line_fn. */
struct tn_audit_line {
	const char *text;		/* without its newline; NUL-terminated */
	size_t len;
	const char *segment;		/* the segment's file name */
	unsigned long lineno;		/* from 1 within the segment */
	off_t end;			/* offset just after the line */
	/*
	 * The line has no newline: a write cut short (or, in the newest
	 * segment, one still under way). It is always the last line handed
	 * over for its segment; next is the segment after it, NULL for the
	 * newest, where a torn line is the crash the writer repairs.
	 */
	int torn;
	const char *next;
};

/* "audit-0000000000000000.jsonl:18": where a line is, for errors. */
void tn_audit_line_where(const struct tn_audit_line *l, char *out, size_t n);

/* Returns nonzero to stop reading (that value is then returned; -1 is
 * taken to mean an error the callback put in its own tn_err). */
typedef int (*tn_audit_line_fn)(void *ctx, const struct tn_audit_line *l);

enum {
	/*
	 * A writer may be appending right now: give a last line without a
	 * newline a moment (up to 0.3 s) to end before calling it torn.
	 */
	TN_AUDIT_SETTLE = 1,
};

/*
 * Calls fn for each line of segment name in dir from byte *off on; *off
 * ends after the last whole line. next is as in struct tn_audit_line.
 * Returns 0, fn's nonzero value, or -1 with err when the segment cannot
 * be read.
 */
int tn_audit_read_segment(const char *dir, const char *name, const char *next,
			  off_t *off, int flags, tn_audit_line_fn fn, void *ctx,
			  struct tn_err *err);

/*
 * Calls fn for each line of the log, from the segment that holds from_seq
 * (0: all) to the newest. A segment that vanished between listing and
 * opening is passed over: only a restarting writer removes one, and only
 * an empty one. *segments (may be NULL) is how many segments were listed.
 */
int tn_audit_read_log(const char *dir, uint64_t from_seq, int flags,
		      tn_audit_line_fn fn, void *ctx, int *segments,
		      struct tn_err *err);

#endif
