/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * A node that attests: a tn_node whose agent has its own swtpm and serves
 * the attestation API from inside a network namespace the test made
 * (ns, on a LAN of 192.0.2.0/24 addresses), and trustctl run as that node.
 */
#ifndef ATTNODE_H
#define ATTNODE_H

#include <stddef.h>
#include "tnlib.h"

#define ATT_PORT "8443"
#define ATT_CA_DIR "/var/lib/swtpm-localca"

struct att_node {
	struct tn_node n;
	char ns[32];		/* set by the test before att_node_up; "": the initial one */
	char tpm_dir[200];
	char tcti[240];
	char listen[32];
	char url[64];
	char vstate[200];	/* trustctl's state dir as a verifier */
	const char *extra_args;	/* one more trustnoded option */
};

/*
 * Builds the node (agent not started when policy_text is given: it is
 * written first), manufactures its TPM (EK certificate when with_cert) and
 * starts its agent in a->ns serving on addr. tcti overrides the swtpm
 * (e.g. device:/dev/tpmrm0 in the guest); state the agent's state dir.
 */
int att_node_up(struct att_node *a, const char *addr, int with_cert,
		const char *tcti, const char *state, const char *policy_text);
void att_node_down(struct att_node *a);

/*
 * Runs trustctl in v's namespace with state dir sdir (NULL: v->vstate);
 * output in out (may be NULL). Returns its exit code.
 */
int att_ctl(struct att_node *v, const char *sdir, char *out, size_t len,
	    const char *fmt, ...) __attribute__((format(printf, 5, 6)));

#endif
