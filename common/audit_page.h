/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * One page of the audit log as GET /v1/log serves it (include/trustnode/
 * audit.h). Bounded work: segment names give each segment's first seq, so
 * only the segment holding `since` and those after it are opened, and
 * reading stops once the page is full. Lines before `since` in that segment
 * are skipped by their seq prefix without parsing them.
 */
#ifndef TN_AUDIT_PAGE_H
#define TN_AUDIT_PAGE_H

#include <json-c/json.h>
#include <stddef.h>
#include <stdint.h>
#include "err.h"

struct tn_audit_page {
	json_object *records;		/* the lines, as JSON strings; owned */
	uint64_t next;			/* the seq after the last line sent */
	int more;			/* records from next on exist */
	size_t bytes;			/* the records' size as JSON */
	uint64_t skipped;		/* lines read to find since (the work) */
	int segments;			/* segments opened */
};

/*
 * Reads the records with since <= seq < end (end: the first seq not yet
 * durable), at most limit of them and max_bytes once encoded. A line whose
 * seq cannot be read ends the page (more is then 0) and is sent as it is,
 * so that the reader's verifier names it. Free with tn_audit_page_free.
 */
int tn_audit_read_page(const char *dir, uint64_t since, uint64_t end,
		       unsigned limit, size_t max_bytes,
		       struct tn_audit_page *pg, struct tn_err *err);
void tn_audit_page_free(struct tn_audit_page *pg);

#endif
