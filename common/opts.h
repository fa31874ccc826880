/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The ends of a daemon's getopt_long loop, the same for trustnoded and
 * trustnode-httpd, so that both answer -h, an unknown option and a stray
 * operand alike (trustctl has subcommands and its own dispatch).
 */
#ifndef TN_OPTS_H
#define TN_OPTS_H

#include <stdio.h>

/*
 * For getopt_long's 'h' and '?': -h prints usage to stdout and exits 0;
 * anything else prints it to stderr and returns -1 (a usage error).
 */
int tn_opt_help_or_usage(int c, void (*usage)(FILE *f));
/* After the loop: -1, said as "PROG: unexpected argument", if any is left. */
int tn_opt_no_operands(const char *prog, int argc, char **argv);

#endif
