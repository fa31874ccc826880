/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The control socket between trustctl and trustnoded.
 *
 * A Unix stream socket (default /run/trustnode/control.sock). The client
 * sends one request, a JSON object on one line of at most
 * TN_CTL_MAX_REQUEST bytes, and reads one reply, a JSON object:
 *
 *   request:  {"cmd": "<command>", ...arguments}
 *   reply:    {"ok": true, ...results}
 *          or {"ok": false, "code": <tn_exit>, "error": "<sentence>"}
 *
 * The agent checks the caller with SO_PEERCRED: root may call everything,
 * members of the "trustnode" group only the read-only commands. A caller
 * inside a workload, or anywhere below trustnoded's cgroup, gets only the
 * read-only commands whatever its uid (agent/caller.c). Every change is
 * recorded with its caller (uid, pid, comm, cgroup). A request that fails
 * changes nothing.
 *
 * Commands (arguments; results):
 *   status                       (); mode, attach, counters, gaps, ...
 *   policy.show                  (); the loaded policy
 *   policy.load      write       (name, text); applied policy summary
 *   tag.add          write       (path | net, labels[]); the tag
 *   tag.remove       write       (path | net); the removed tag
 *   tag.list                     (); tags[]
 *   workload.add     write       (name, cgroup); the workload
 *   workload.remove  write       (name)
 *   workload.reset   write       (name); clears taint, recorded as an event
 *   workload.list                (); workloads[] with taint
 *   events                       (limit, since); events[]
 *   seal             write       (); the module's state
 *   log.checkpoint   write       (); signs a checkpoint of the audit log now
 *                                and anchors it in the TPM at once
 *   peers                        (); the policy's peers with their verdicts
 */
#ifndef TRUSTNODE_CONTROL_PROTO_H
#define TRUSTNODE_CONTROL_PROTO_H

#define TN_DEFAULT_STATE_DIR	"/var/lib/trustnode"
#define TN_DEFAULT_RUN_DIR	"/run/trustnode"
#define TN_DEFAULT_PIN_DIR	"/sys/fs/bpf/trustnode"
#define TN_CONTROL_SOCKET_NAME	"control.sock"
#define TN_SOCKET_ENV		"TRUSTNODE_SOCKET"
#define TN_STATE_ENV		"TRUSTNODE_STATE_DIR"
#define TN_READ_GROUP		"trustnode"

#define TN_CTL_MAX_REQUEST	(2 * 1024 * 1024)
#define TN_CTL_TIMEOUT_MS	2000

/* trustctl's exit codes, also carried as "code" in failed replies. */
enum tn_exit {
	TN_EXIT_OK = 0,
	TN_EXIT_FAILED = 1,	/* the operation failed; nothing changed */
	TN_EXIT_USAGE = 2,	/* bad command line */
	TN_EXIT_NO_AGENT = 3,	/* trustnoded is not running or unreachable */
	TN_EXIT_PERM = 4,	/* caller lacks the privilege */
	TN_EXIT_INVALID = 5,	/* input rejected (policy, address, name) */
	TN_EXIT_NOT_FOUND = 6,	/* no such workload or tag */
};

#endif
