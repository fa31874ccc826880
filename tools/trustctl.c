// SPDX-License-Identifier: GPL-2.0-only
/* trustctl: the administrator's tool for trustnode. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "trustctl.h"

static const struct subcommand *const subcommands[] = {
	&cmd_status, &cmd_policy, &cmd_tag, &cmd_untag, &cmd_workload,
	&cmd_run, &cmd_events, &cmd_kmod, &cmd_seal, &cmd_peer, &cmd_attest,
	&cmd_log,
};

#define N_SUBCOMMANDS (sizeof(subcommands) / sizeof(subcommands[0]))

static void usage(FILE *f)
{
	size_t i;

	fprintf(f, "usage: trustctl [--socket PATH] [--state-dir DIR] COMMAND [ARGS]\n\n"
		   "Commands:\n");
	for (i = 0; i < N_SUBCOMMANDS; i++)
		fprintf(f, "  %-10s %s\n", subcommands[i]->name, subcommands[i]->summary);
	fprintf(f, "\n"
"'trustctl COMMAND --help' describes each command.\n"
"\n"
"The control socket is " TN_DEFAULT_RUN_DIR "/" TN_CONTROL_SOCKET_NAME " unless --socket or\n"
"$" TN_SOCKET_ENV " names another. Enrolled peers are kept in\n"
"DIR/peers (default " TN_DEFAULT_STATE_DIR ", or $" TN_STATE_ENV ").\n"
"\n"
"Exit codes:\n"
"  0  success\n"
"  1  the operation failed; nothing was changed\n"
"  2  usage error\n"
"  3  trustnoded is not running or not reachable\n"
"  4  permission denied\n"
"  5  invalid input (policy, address, name); nothing was changed\n"
"  6  no such workload or tag\n"
"  (run: otherwise the command's own exit status)\n");
}

int main(int argc, char **argv)
{
	size_t i;

	while (argc > 1 && (!strcmp(argv[1], "--socket") ||
			    !strcmp(argv[1], "--state-dir"))) {
		if (argc < 3)
			return ctl_error(TN_EXIT_USAGE, "%s needs a path", argv[1]);
		setenv(!strcmp(argv[1], "--socket") ? TN_SOCKET_ENV : TN_STATE_ENV,
		       argv[2], 1);
		argc -= 2;
		argv += 2;
	}
	if (argc < 2) {
		usage(stderr);
		return TN_EXIT_USAGE;
	}
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help") ||
	    !strcmp(argv[1], "help")) {
		if (argc > 2) {
			for (i = 0; i < N_SUBCOMMANDS; i++)
				if (!strcmp(argv[2], subcommands[i]->name)) {
					printf("%s", subcommands[i]->usage);
					return 0;
				}
		}
		usage(stdout);
		return 0;
	}
	for (i = 0; i < N_SUBCOMMANDS; i++) {
		if (strcmp(argv[1], subcommands[i]->name))
			continue;
		if (ctl_wants_help(argc - 1, argv + 1) &&
		    strcmp(argv[1], "run")) {
			printf("%s", subcommands[i]->usage);
			return 0;
		}
		return subcommands[i]->run(argc - 1, argv + 1);
	}
	fprintf(stderr, "trustctl: unknown command '%s'\n\n", argv[1]);
	usage(stderr);
	return TN_EXIT_USAGE;
}
