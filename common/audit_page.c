// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "audit_log.h"
#include "audit_page.h"

/* The seq of a line written by the writer: {"seq":N,... ; -1 if not so. */
static int line_seq(const char *line, uint64_t *seq)
{
	static const char head[] = "{\"seq\":";
	uint64_t v = 0;
	const char *p;

	if (strncmp(line, head, sizeof(head) - 1))
		return -1;
	p = line + sizeof(head) - 1;
	if (*p < '0' || *p > '9')
		return -1;
	for (int digits = 0; *p >= '0' && *p <= '9'; p++, digits++) {
		if (digits == 19)
			return -1;
		v = v * 10 + (*p - '0');
	}
	if (*p != ',')
		return -1;
	*seq = v;
	return 0;
}

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

/* The segment to start in: the last whose first seq is <= since. */
static int first_segment(char **names, int n, uint64_t since)
{
	int start = 0;

	for (int i = 0; i < n; i++) {
		/* Names are audit-<16 digits>.jsonl (tn_audit_segments). */
		if (strtoull(names[i] + 6, NULL, 10) > since)
			break;
		start = i;
	}
	return start;
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

/*
 * Adds the wanted lines of one segment (whose first seq is pos); FULL or
 * DONE end the page.
 */
static int read_segment(const char *path, uint64_t pos, uint64_t since,
			uint64_t end, unsigned limit, size_t max_bytes,
			char *line, struct tn_audit_page *pg, struct tn_err *err)
{
	FILE *f = fopen(path, "re");
	int ret = GO_ON;

	if (!f) {
		/* Gone between listing and opening: only a restart removes one. */
		if (errno == ENOENT)
			return GO_ON;
		tn_fail_errno(err, errno, "cannot open %s", path);
		return -1;
	}
	pg->segments++;
	while (ret == GO_ON && fgets(line, TN_AUDIT_LINE_MAX + 2, f)) {
		size_t n = strlen(line);
		uint64_t seq;

		/* The end of what was written, or a line too long to be one. */
		if (!n || line[n - 1] != '\n') {
			ret = DONE;
			break;
		}
		line[--n] = '\0';
		if (line_seq(line, &seq)) {
			/* Where it stands is where the next seq would be. */
			if (pos < since) {
				pg->skipped++;
				continue;
			}
			if (pos < end)
				add_line(pg, line, n, limit, max_bytes);
			ret = DONE;
			break;
		}
		pos = seq + 1;
		if (seq < since) {
			pg->skipped++;
			continue;
		}
		if (seq >= end) {
			ret = DONE;
			break;
		}
		if (!add_line(pg, line, n, limit, max_bytes)) {
			pg->more = 1;
			ret = FULL;
			break;
		}
		pg->next = seq + 1;
	}
	fclose(f);
	return ret;
}

int tn_audit_read_page(const char *dir, uint64_t since, uint64_t end,
		       unsigned limit, size_t max_bytes,
		       struct tn_audit_page *pg, struct tn_err *err)
{
	char **names, path[8200], *line;
	int n, ret = GO_ON;

	memset(pg, 0, sizeof(*pg));
	pg->next = since;
	if (tn_audit_segments(dir, &names, &n, err))
		return -1;
	line = malloc(TN_AUDIT_LINE_MAX + 2);
	pg->records = json_object_new_array();
	if (!line || !pg->records) {
		free(line);
		tn_audit_segments_free(names, n);
		tn_audit_page_free(pg);
		return tn_fail(err, "out of memory");
	}
	for (int i = first_segment(names, n, since); i < n && ret == GO_ON; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		ret = read_segment(path, strtoull(names[i] + 6, NULL, 10), since,
				   end, limit, max_bytes, line, pg, err);
	}
	free(line);
	tn_audit_segments_free(names, n);
	if (ret < 0) {
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
