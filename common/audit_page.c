// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "audit_page.h"
#include "audit_segments.h"
#include "trustnode/audit_api.h"

/*
 * What a line costs inside the agent's reply: json-c escapes '"', '\\'
 * and '/' (control characters cannot occur in a line the writer made),
 * plus the quotes and a comma.
 */
static size_t json_cost(const char *line, size_t n)
{
	size_t cost = n + 3;

	for (size_t i = 0; i < n; i++)
		if (line[i] == '"' || line[i] == '\\' || line[i] == '/')
			cost++;
		else if ((unsigned char)line[i] < 0x20)
			cost += 5;
	return cost;
}

enum { GO_ON, FULL, DONE };

/* Adds a line to the page if there is room; 0 when there was none. */
static int add_line(struct tn_audit_page *pg, const char *line, size_t n,
		    unsigned limit, size_t max_bytes)
{
	size_t cost = json_cost(line, n);

	if (json_object_array_length(pg->records) >= limit ||
	    pg->bytes + cost > max_bytes)
		return 0;
	json_object_array_add(pg->records, json_object_new_string_len(line, n));
	pg->bytes += cost;
	return 1;
}

struct page_read {
	struct tn_audit_page *pg;
	uint64_t pos;			/* the seq the next line should have */
	uint64_t since, end;
	unsigned limit;
	size_t max_bytes;
	int state;
};

/* One line of a segment; stops (FULL or DONE) when the page is over. */
static int page_line(void *ctx, const struct tn_audit_line *l)
{
	struct page_read *p = ctx;
	struct tn_audit_page *pg = p->pg;
	uint64_t seq;

	/* The end of what was written, or a line too long to be one. */
	if (l->torn || l->len > TN_AUDIT_LINE_MAX)
		return p->state = DONE;
	if (tn_audit_line_seq(l->text, l->len, &seq)) {
		/* Where it stands is where the next seq would be. */
		if (p->pos < p->since) {
			pg->skipped++;
			return GO_ON;
		}
		if (p->pos < p->end)
			add_line(pg, l->text, l->len, p->limit, p->max_bytes);
		return p->state = DONE;
	}
	p->pos = seq + 1;
	if (seq < p->since) {
		pg->skipped++;
		return GO_ON;
	}
	if (seq >= p->end)
		return p->state = DONE;
	if (!add_line(pg, l->text, l->len, p->limit, p->max_bytes)) {
		pg->more = 1;
		return p->state = FULL;
	}
	pg->next = seq + 1;
	return GO_ON;
}

int tn_audit_read_page(const char *dir, uint64_t since, uint64_t end,
		       unsigned limit, size_t max_bytes,
		       struct tn_audit_page *pg, struct tn_err *err)
{
	struct page_read p = { .pg = pg, .since = since, .end = end,
			       .limit = limit, .max_bytes = max_bytes };
	char **names;
	off_t off;
	int n;

	memset(pg, 0, sizeof(*pg));
	pg->next = since;
	if (tn_audit_segments(dir, &names, &n, err))
		return -1;
	pg->records = json_object_new_array();
	if (!pg->records) {
		tn_audit_segments_free(names, n);
		return tn_fail(err, "out of memory");
	}
	for (int i = n ? tn_audit_seg_holding(names, n, since) : 0;
	     i < n && p.state == GO_ON; i++) {
		off = 0;
		tn_audit_seg_first(names[i], &p.pos);
		if (tn_audit_read_segment(dir, names[i], NULL, &off, 0, page_line,
					  &p, err) < 0) {
			/* Gone between listing and opening: only a restart removes one. */
			if (err->errnum == ENOENT)
				continue;
			p.state = -1;
			break;
		}
		pg->segments++;
	}
	tn_audit_segments_free(names, n);
	if (p.state < 0) {
		tn_audit_page_free(pg);
		return -1;
	}
	return 0;
}

void tn_audit_page_free(struct tn_audit_page *pg)
{
	json_object_put(pg->records);
	pg->records = NULL;
}
