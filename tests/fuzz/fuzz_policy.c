// SPDX-License-Identifier: GPL-2.0-only
/*
 * libFuzzer target for the policy parser (tn_policy_parse). Besides the
 * sanitizers it checks that every error names fuzz.conf:LINE with a line
 * inside the input, that no @include reaches libconfig, and that a policy
 * that parses satisfies what its consumers rely on. It never calls
 * tn_policy_resolve(), which stats paths.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "policy.h"

#define NAME "fuzz.conf"

static void fail(const char *what, const char *msg)
{
	fprintf(stderr, "fuzz_policy: %s: %s\n", what, msg ? msg : "");
	abort();
}

static int count_lines(const char *s)
{
	int n = 1;

	for (; *s; s++)
		n += *s == '\n';
	return n;
}

static void check_error(const char *text, const struct tn_err *err)
{
	const char *m = err->msg;
	char *end;
	long line;

	if (memchr(m, '\0', sizeof(err->msg)) == NULL)
		fail("unterminated error message", "");
	if (strncmp(m, NAME ":", sizeof(NAME)))
		fail("error does not name the file", m);
	if (strlen(text) > TN_POLICY_MAX_BYTES)
		return;		/* "fuzz.conf: larger than ..." has no line */
	line = strtol(m + sizeof(NAME), &end, 10);
	if (end == m + sizeof(NAME) || *end != ':' ||
	    line < 1 || line > count_lines(text))
		fail("error does not name a line of the file", m);
	/*
	 * reject_includes() must stop every @include before libconfig (the
	 * dictionary names a file that does not exist, so one that got through
	 * shows as libconfig's error).
	 */
	if (!strcmp(end, ": cannot open include file") ||
	    !strcmp(end, ": include file nesting too deep"))
		fail("@include reached libconfig", m);
}

static void check_policy(const char *text, const struct tn_policy *p)
{
	int i, j, k, lines = count_lines(text);

	if (p->enforce != 0 && p->enforce != 1)
		fail("bad enforce", "");
	if (p->nprefixes && !p->prefixes_given)
		fail("prefixes without prefixes_given", "");
	for (i = 0; i < p->nprefixes; i++) {
		const struct tn_prefix *x = &p->prefixes[i];

		if (x->len > (x->family == 2 /* AF_INET */ ? 32 : 128))
			fail("prefix length out of range", "");
		if (p->prefix_lines[i] < 1 || p->prefix_lines[i] > lines)
			fail("prefix line out of range", "");
	}
	for (i = 0; i < p->ntags; i++) {
		const struct tn_policy_tag *t = &p->tags[i];

		if (t->line < 1 || t->line > lines)
			fail("tag line out of range", "");
		if (t->is_net ? t->path != NULL || !t->ep.port
			      : !t->path || t->path[0] != '/')
			fail("tag is neither a path nor an endpoint", "");
		if (t->nlabels < 1 || !t->labels)
			fail("tag without labels", "");
		for (j = 0; j < t->nlabels; j++)
			if (!tn_valid_name(t->labels[j]))
				fail("invalid label accepted", t->labels[j]);
	}
	for (i = 0; i < p->nworkloads; i++) {
		const struct tn_policy_workload *w = &p->workloads[i];

		if (w->line < 1 || w->line > lines)
			fail("workload line out of range", "");
		if (!tn_valid_name(w->name))
			fail("invalid workload name accepted", w->name);
		if (!w->cgroup || w->cgroup[0] != '/')
			fail("relative cgroup accepted", w->cgroup);
		for (k = 0; k < i; k++)
			if (!strcmp(p->workloads[k].name, w->name))
				fail("duplicate workload accepted", w->name);
	}
}

/* Make UBSan findings fatal (and so reported) when run by hand too. */
const char *__ubsan_default_options(void);
const char *__ubsan_default_options(void)
{
	return "halt_on_error=1:print_stacktrace=1";
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tn_policy p;
	struct tn_err err;
	char *text = malloc(size + 1);

	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	memset(&err, 0, sizeof(err));
	if (tn_policy_parse(text, NAME, &p, &err) == 0) {
		check_policy(text, &p);
		tn_policy_free(&p);
	} else {
		check_error(text, &err);
	}
	free(text);
	return 0;
}
