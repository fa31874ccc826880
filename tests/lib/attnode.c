// SPDX-License-Identifier: GPL-2.0-only
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include "attnode.h"

/* Manufactures (optionally with EK certificates) and starts a swtpm. */
static int tpm_start(struct att_node *a, int with_cert)
{
	if (run_cmd("mkdir -p %s", a->tpm_dir))
		return -1;
	if (with_cert &&
	    run_cmd("swtpm_setup --tpm2 --tpmstate %s --create-ek-cert --create-platform-cert --lock-nvram >%s/setup.log 2>&1",
		    a->tpm_dir, a->tpm_dir))
		return -1;
	snprintf(a->tcti, sizeof(a->tcti), "swtpm:path=%s/sock", a->tpm_dir);
	return run_cmd("swtpm socket --tpm2 --tpmstate dir=%s --server type=unixio,path=%s/sock "
		       "--ctrl type=unixio,path=%s/sock.ctrl --flags startup-clear "
		       "--pid file=%s/pid --daemon", a->tpm_dir, a->tpm_dir,
		       a->tpm_dir, a->tpm_dir);
}

int att_node_up(struct att_node *a, const char *addr, int with_cert,
		const char *tcti, const char *state, const char *policy_text)
{
	if (node_create_stopped(&a->n, "enforce"))
		return -1;
	snprintf(a->tpm_dir, sizeof(a->tpm_dir), "%s/tpm", a->n.tmp);
	snprintf(a->vstate, sizeof(a->vstate), "%s/verifier", a->n.tmp);
	snprintf(a->listen, sizeof(a->listen), "%s:" ATT_PORT, addr);
	snprintf(a->url, sizeof(a->url), "http://%s:" ATT_PORT, addr);
	if (tcti)
		snprintf(a->tcti, sizeof(a->tcti), "%s", tcti);
	else if (tpm_start(a, with_cert))
		return -1;
	if (policy_text && write_file(a->n.policy, policy_text))
		return -1;
	a->n.tcti = a->tcti;
	a->n.state = state;
	a->n.listen = a->listen;
	a->n.agent_netns = a->ns[0] ? a->ns : NULL;	/* "": the initial one */
	a->n.extra_args = a->extra_args;
	return node_start_agent(&a->n);
}

void att_node_down(struct att_node *a)
{
	if (!a->n.id[0])
		return;		/* never built */
	/* The swtpm first: node_destroy removes the directory with its pid. */
	if (a->tpm_dir[0])
		run_cmd("test -f %s/pid && kill $(cat %s/pid) 2>/dev/null; true",
			a->tpm_dir, a->tpm_dir);
	node_destroy(&a->n);
}

int att_ctl(struct att_node *v, const char *sdir, char *out, size_t len,
	    const char *fmt, ...)
{
	char args[1024];
	va_list ap;
	int st;

	va_start(ap, fmt);
	vsnprintf(args, sizeof(args), fmt, ap);
	va_end(ap);
	st = capture(out, len, "%s%s %s/trustctl --state-dir %s %s 2>&1",
		     v->ns[0] ? "ip netns exec " : "", v->ns, tn_build(),
		     sdir ? sdir : v->vstate, args);
	if (out)
		fprintf(stderr, "# trustctl %s -> %d\n%s", args, st, out);
	return st;
}
