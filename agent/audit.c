// SPDX-License-Identifier: GPL-2.0-only
/*
 * The agent's audit log: every event becomes a chained record
 * (common/audit_writer.c), committed once per turn of the main loop (group
 * commit), checkpointed and signed by the node key, and anchored in the
 * attestation PCR at a bounded rate. Records also go to the systemd journal
 * when one runs. A write that fails (a full disk) never stops enforcement:
 * the records are counted and reported once writing works again.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <systemd/sd-journal.h>
#include "agent.h"
#include "audit_record.h"
#include "audit_writer.h"
#include "hex.h"
#include "proto.h"
#include "trustnode/attest_api.h"
#include "trustnode/audit_api.h"

#define JOURNAL_SOCKET "/run/systemd/journal/socket"

int audit_open(struct agent *a, struct tn_err *err)
{
	struct tn_audit_writer *w = calloc(1, sizeof(*w));
	char dir[4000];

	if (!w)
		return tn_fail(err, "out of memory");
	snprintf(dir, sizeof(dir), "%s/" TN_AUDIT_DIR, a->opt.state_dir);
	if (tn_audit_open(w, dir, a->att->idkey_sk, a->opt.audit.segment_bytes,
			  a->opt.audit.cp_records, a->opt.audit.cp_seconds, err)) {
		free(w);
		return -1;
	}
	a->audit = w;
	a->journal = !access(JOURNAL_SOCKET, W_OK);
	if (w->repaired[0])
		fprintf(stderr, "trustnoded: audit log repaired: %s\n", w->repaired);
	return 0;
}

static void to_journal(struct agent *a, const char *type, json_object *data)
{
	const char *s = json_object_to_json_string_ext(data, JSON_C_TO_STRING_PLAIN |
						       JSON_C_TO_STRING_NOSLASHESCAPE);

	/* Structured fields, so journal-based shipping can filter on them. */
	sd_journal_send("MESSAGE=trustnode %s %s", type, s,
			"PRIORITY=%d", tn_json_str(data, "decision") &&
				!strcmp(tn_json_str(data, "decision"), "deny") ? 4 : 6,
			"SYSLOG_IDENTIFIER=trustnoded",
			"TRUSTNODE_TYPE=%s", type,
			"TRUSTNODE_SEQ=%llu", (unsigned long long)a->audit->mem.next_seq - 1,
			"TRUSTNODE_DATA=%s", s,
			NULL);
}

uint64_t audit_next_seq(struct agent *a)
{
	return a->audit ? a->audit->mem.next_seq : 0;
}

void audit_record(struct agent *a, const char *type, json_object *data)
{
	audit_record_at(a, type, data, tn_audit_now_us());
}

void audit_record_at(struct agent *a, const char *type, json_object *data,
		     int64_t time_us)
{
	struct tn_err e;

	if (!a->audit)
		return;
	if (tn_audit_append(a->audit, type, data, time_us, &e)) {
		fprintf(stderr, "trustnoded: audit log: %s\n", e.msg);
		return;
	}
	if (a->journal)
		to_journal(a, type, data);
	if (tn_audit_maybe_checkpoint(a->audit, tn_audit_now_us(), 0, &e))
		fprintf(stderr, "trustnoded: audit checkpoint: %s\n", e.msg);
}

/* Extends the newest durable checkpoint into the PCR, at most once per T. */
static void anchor(struct agent *a, int force)
{
	uint8_t digest[32], head[TN_AUDIT_HASH_LEN];
	char detail[TN_AUDIT_DETAIL_LEN];
	int64_t now = tn_audit_now_us();
	uint64_t covers;
	struct tn_err e;

	if (!a->att->tpm)
		return;
	if (tn_audit_take_checkpoint(a->audit, &covers, head)) {
		a->anchor_pending = 1;
		a->anchor_covers = covers;
		memcpy(a->anchor_head, head, sizeof(head));
	}
	if (!a->anchor_pending ||
	    (!force && now - a->anchor_last_us < (int64_t)a->opt.audit.anchor_seconds * 1000000))
		return;
	tn_audit_checkpoint_digest(a->audit->log_id, a->anchor_covers,
				   a->anchor_head, digest);
	tn_audit_checkpoint_detail(a->audit->log_id, a->anchor_covers,
				   a->anchor_head, detail);
	if (measure(a, TN_MEASURE_CHECKPOINT, digest, detail, &e)) {
		fprintf(stderr, "trustnoded: anchoring an audit checkpoint: %s\n", e.msg);
		return;
	}
	a->anchor_pending = 0;
	a->anchor_last_us = now;
	a->anchored_covers = a->anchor_covers;
	a->have_anchored = 1;
}

void audit_commit(struct agent *a)
{
	struct tn_err e;

	if (!a->audit)
		return;
	if (tn_audit_commit(a->audit, &e)) {
		/* Once per failure streak, not once per record. */
		if (!a->audit_failing)
			fprintf(stderr, "trustnoded: audit log: %s; enforcement goes on, lost records are counted\n",
				e.msg);
		a->audit_failing = 1;
		return;
	}
	if (a->audit_failing)
		fprintf(stderr, "trustnoded: audit log writable again; %llu records were lost and are recorded as such\n",
			(unsigned long long)a->audit->lost_total);
	a->audit_failing = 0;
	anchor(a, 0);
}

void audit_tick(struct agent *a)
{
	struct tn_err e;

	if (!a->audit)
		return;
	if (tn_audit_maybe_checkpoint(a->audit, tn_audit_now_us(), 0, &e))
		fprintf(stderr, "trustnoded: audit checkpoint: %s\n", e.msg);
	audit_commit(a);
}

int audit_checkpoint_now(struct agent *a, struct tn_err *err)
{
	if (!a->audit)
		return tn_fail(err, "the audit log is not open");
	if (tn_audit_maybe_checkpoint(a->audit, tn_audit_now_us(), 1, err) ||
	    tn_audit_commit(a->audit, err))
		return -1;
	anchor(a, 1);
	return 0;
}

void audit_close(struct agent *a)
{
	if (!a->audit)
		return;
	audit_commit(a);
	tn_audit_close(a->audit);
	free(a->audit);
	a->audit = NULL;
}

json_object *audit_status_json(struct agent *a)
{
	json_object *o = json_object_new_object();
	struct tn_audit_writer *w = a->audit;
	char hex[2 * TN_AUDIT_HASH_LEN + 1];

	if (!w) {
		json_object_object_add(o, "open", json_object_new_boolean(0));
		return o;
	}
	json_object_object_add(o, "open", json_object_new_boolean(1));
	json_object_object_add(o, "dir", json_object_new_string(w->dir));
	tn_hex_encode(w->log_id, TN_AUDIT_LOGID_LEN, hex);
	json_object_object_add(o, "log_id", json_object_new_string(hex));
	json_object_object_add(o, "next_seq", json_object_new_int64((int64_t)w->durable.next_seq));
	tn_hex_encode(w->durable.head, TN_AUDIT_HASH_LEN, hex);
	json_object_object_add(o, "head", json_object_new_string(hex));
	json_object_object_add(o, "last_checkpoint", w->have_cp ?
			       json_object_new_int64((int64_t)w->cp_covers) : NULL);
	json_object_object_add(o, "last_anchored_checkpoint", a->have_anchored ?
			       json_object_new_int64((int64_t)a->anchored_covers) : NULL);
	json_object_object_add(o, "failing", json_object_new_boolean(a->audit_failing));
	json_object_object_add(o, "records_lost", json_object_new_int64((int64_t)w->lost_total));
	json_object_object_add(o, "journal", json_object_new_boolean(a->journal));
	json_object_object_add(o, "repaired", w->repaired[0] ?
			       json_object_new_string(w->repaired) : NULL);
	return o;
}
