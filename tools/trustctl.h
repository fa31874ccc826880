/* SPDX-License-Identifier: GPL-2.0-only */
/* trustctl: one file per subcommand, as wg(8) does. */
#ifndef TRUSTCTL_H
#define TRUSTCTL_H

#include <json-c/json.h>
#include "proto.h"
#include "trustnode/control_proto.h"

struct subcommand {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *summary;
	const char *usage;	/* full help text */
};

extern const struct subcommand cmd_policy, cmd_tag, cmd_untag, cmd_workload,
	cmd_run, cmd_status, cmd_events, cmd_kmod, cmd_seal, cmd_peer,
	cmd_attest, cmd_log;

/*
 * Sends req (consumed) to trustnoded. On success returns TN_EXIT_OK and the
 * reply in *reply (caller frees); otherwise prints the error and returns the
 * exit code it maps to.
 */
int ctl_call(json_object *req, json_object **reply);
json_object *ctl_request(const char *cmd);
/* As ctl_call, but says nothing when no agent is running (its socket is absent). */
int ctl_call_quiet(json_object *req, json_object **reply);

/* Prints "trustctl: MSG" to stderr and returns code. */
int ctl_error(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Prints the subcommand's usage to stderr and returns TN_EXIT_USAGE. */
int ctl_usage(const struct subcommand *c);
/* Whether argv[i] asks for help. */
int ctl_wants_help(int argc, char **argv);
void ctl_print_json(json_object *o);
/* A reply without its "ok", as pretty JSON (the --json of show commands). */
void ctl_print_reply(json_object *reply);
/*
 * Adds path to req, made absolute: the agent does not share our working
 * directory. A path that does not resolve is sent as given.
 */
void ctl_add_path(json_object *req, const char *key, const char *path);
/* "a, b" from a JSON array of strings ("-" when empty). */
const char *ctl_join(json_object *arr, char *buf, size_t n);

/*
 * Exit 0 only if the cgroup at workload name's path now is the one
 * trustnoded enforces (it is asked to look again first).
 */
int ctl_workload_check(const char *name, int quiet);

/* Where enrolled peers are kept: --state-dir, $TRUSTNODE_STATE_DIR or the default. */
const char *ctl_state_dir(void);

/* attest.c, shared with peer.c */
struct tn_peer;
struct tn_verdict;
struct tn_err;
int ctl_find_peer(const char *which, struct tn_peer *p, struct tn_err *err);
int attest_online(struct tn_peer *p, int enrolling, struct tn_verdict *v,
		  struct tn_err *err);
/* The same, also handing back the peer's answer (caller frees). */
int attest_online_resp(struct tn_peer *p, int enrolling, struct tn_verdict *v,
		       json_object **resp, struct tn_err *err);
void print_verdict(const struct tn_peer *p, const struct tn_verdict *v);
/* log*.c: trustctl log; DIR defaults to STATE_DIR/audit */
void log_default_dir(const char **dir, char *buf, size_t n);
int log_verify_run(int argc, char **argv);
int log_tail_run(int argc, char **argv);
int log_export_run(int argc, char **argv);
/* peer_log.c: trustctl peer log */
int peer_log_run(int argc, char **argv);
json_object *verdict_json(const struct tn_peer *p, const struct tn_verdict *v);

#endif
