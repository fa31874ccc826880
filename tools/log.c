// SPDX-License-Identifier: GPL-2.0-only
/*
 * trustctl log: verify this node's tamper-evident audit log, show its last
 * records, follow it, export it (one file each: log_verify.c, log_tail.c,
 * log_export.c), or ask the agent for a checkpoint now. All but checkpoint
 * read the segments directly (common/audit_segments.c): they need no agent.
 */
#include <stdio.h>
#include <string.h>
#include "trustctl.h"
#include "trustnode/audit_api.h"

void log_default_dir(const char **dir, char *buf, size_t n)
{
	if (*dir)
		return;
	snprintf(buf, n, "%s/" TN_AUDIT_DIR, ctl_state_dir());
	*dir = buf;
}

/* ---- log checkpoint ----------------------------------------------------- */

static int checkpoint_run(int argc, char **argv)
{
	json_object *reply, *audit;
	long long covers, anchored;
	int ret;

	if (argc != 1)
		return ctl_usage(&cmd_log);
	ret = ctl_call(ctl_request("log.checkpoint"), &reply);
	if (ret)
		return ret;
	audit = json_object_object_get(reply, "audit");
	if (!tn_json_int(audit, "last_checkpoint", &covers))
		printf("checkpoint written: it covers record %lld", covers);
	else
		printf("checkpoint written");
	if (!tn_json_int(audit, "last_anchored_checkpoint", &anchored))
		printf("; the TPM vouches for the one covering record %lld", anchored);
	printf("\n");
	json_object_put(reply);
	return 0;
}

static int log_run(int argc, char **argv)
{
	if (argc >= 2 && !strcmp(argv[1], "checkpoint"))
		return checkpoint_run(argc - 1, argv + 1);
	if (argc >= 2 && !strcmp(argv[1], "verify"))
		return log_verify_run(argc - 1, argv + 1);
	if (argc >= 2 && !strcmp(argv[1], "tail"))
		return log_tail_run(argc - 1, argv + 1);
	if (argc >= 2 && !strcmp(argv[1], "export"))
		return log_export_run(argc - 1, argv + 1);
	return ctl_usage(&cmd_log);
}

const struct subcommand cmd_log = {
	.name = "log",
	.run = log_run,
	.summary = "verify, show and export this node's audit log",
	.usage =
"usage: trustctl log verify [--dir DIR] [--key HEX] [--json]\n"
"       trustctl log verify [--dir DIR] --quote FILE --nonce HEX --peer NAME [--json]\n"
"       trustctl log tail [-n N] [-f] [--json] [--dir DIR]\n"
"       trustctl log export --since SEQ [--dir DIR]\n"
"       trustctl log checkpoint\n"
"\n"
"The audit log is DIR (default STATE_DIR/" TN_AUDIT_DIR ", see trustctl --help):\n"
"segments audit-<first seq>.jsonl, one record a line, each chained to the one\n"
"before by its BLAKE2b hash, with checkpoints signed by the node's Ed25519 key.\n"
"\n"
"verify reads every record and checks the chain and every checkpoint's\n"
"signature. It names the first bad record (seq, segment:line) and what was\n"
"done to it: edited, deleted, reordered, spliced in from another log, torn\n"
"(cut while being written), or a forged checkpoint. The key is --key (64 hex\n"
"digits), else this node's STATE_DIR/identity.key, else the key the log's own\n"
"log-start record names (with a warning: that proves nothing about who wrote\n"
"the log).\n"
"  --quote FILE --nonce HEX --peer NAME  also check the log against the\n"
"      checkpoints a TPM quote vouches for: FILE is a saved /v1/quote answer\n"
"      over nonce HEX from enrolled peer NAME (verified as trustctl attest\n"
"      does; the peer's pinned identity key then checks the signatures). A\n"
"      log cut back behind such a checkpoint, rewritten, or deleted and\n"
"      started anew does not verify.\n"
"Prints \"ok: N records, M checkpoints, ...\" and exits 0, or names the\n"
"problem and exits 1. --json prints the result as JSON.\n"
"\n"
"tail prints the last N records (default 10): seq, time, type and data, or the\n"
"raw lines with --json. -f then prints new records as they are written (also\n"
"across segments) until interrupted.\n"
"\n"
"export writes the raw lines from record SEQ on to standard output, for\n"
"shipping elsewhere: trustctl log verify on a copy checks them again.\n"
"\n"
"checkpoint asks trustnoded to sign a checkpoint of the log now and to\n"
"anchor it in the TPM at once (root).\n",
};
