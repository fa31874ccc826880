// SPDX-License-Identifier: GPL-2.0-only
/*
 * The policy file, parsed by the same code the agent and trustctl use.
 * Every error names file:line and the problem.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include "kselftest_harness.h"
#include "policy.h"
#include "policy_canon.h"

static int parse(const char *text, struct tn_policy *p, struct tn_err *e)
{
	return tn_policy_parse(text, "p.conf", p, e);
}

/* Parses text, expecting failure with msg containing want. */
#define EXPECT_POLICY_ERROR(text, want) do {				\
	struct tn_policy _p;						\
	struct tn_err _e = { .msg = "" };					\
	EXPECT_EQ(-1, parse(text, &_p, &_e));				\
	EXPECT_NE(NULL, strstr(_e.msg, want)) TH_LOG("got: %s", _e.msg); \
} while (0)

TEST(a_full_policy_parses)
{
	struct tn_policy p;
	struct tn_err e;
	const char *text =
		"# comments are allowed\n"
		"version = 1;\n"
		"mode = \"audit\";   // and trailing ones\n"
		"local_prefixes = [ \"10.0.0.0/8\", \"fd00::/8\", \"192.0.2.7\" ];\n"
		"tags = (\n"
		"  { path = \"/srv/phi\"; labels = [ \"phi\", \"eu-only\" ]; },\n"
		"  { net = \"10.1.2.3:5432\"; labels = [ \"finance\" ]; },\n"
		"  { net = \"[2001:db8::1]:443\"; labels = [ \"x\" ]; }\n"
		");\n"
		"workloads = ( { name = \"llm\"; cgroup = \"/sys/fs/cgroup/x/llm\"; } );\n"
		"trusted_receivers = ( { name = \"resolver\"; cgroup = \"/sys/fs/cgroup/x/dns\"; } );\n";

	ASSERT_EQ(0, parse(text, &p, &e)) TH_LOG("%s", e.msg);
	EXPECT_EQ(0, p.enforce);
	EXPECT_EQ(1, p.prefixes_given);
	EXPECT_EQ(3, p.nprefixes);
	EXPECT_EQ(AF_INET6, p.prefixes[1].family);
	EXPECT_EQ(8, p.prefixes[1].len);
	EXPECT_EQ(32, p.prefixes[2].len);
	EXPECT_EQ(3, p.ntags);
	EXPECT_STREQ("/srv/phi", p.tags[0].path);
	EXPECT_EQ(2, p.tags[0].nlabels);
	EXPECT_EQ(1, p.tags[1].is_net);
	EXPECT_EQ(5432, p.tags[1].ep.port);
	EXPECT_EQ(AF_INET6, p.tags[2].ep.family);
	EXPECT_EQ(1, p.nworkloads);
	EXPECT_STREQ("llm", p.workloads[0].name);
	EXPECT_EQ(10, p.workloads[0].line);
	EXPECT_EQ(1, p.ntrusted);
	EXPECT_STREQ("resolver", p.trusted[0].name);
	tn_policy_free(&p);
}

TEST(an_empty_policy_enforces_with_the_default_local_network)
{
	struct tn_policy p;
	struct tn_err e;

	ASSERT_EQ(0, parse("# nothing\n", &p, &e));
	EXPECT_EQ(1, p.enforce);
	EXPECT_EQ(0, p.prefixes_given);
	tn_policy_free(&p);
}

TEST(the_default_local_network_is_loopback_rfc1918_link_local_and_ula)
{
	const char *want[] = { "127.0.0.0/8", "10.0.0.0/8", "172.16.0.0/12",
			       "192.168.0.0/16", "169.254.0.0/16", "::1/128",
			       "fe80::/10", "fc00::/7" };
	size_t i;

	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		EXPECT_STREQ(want[i], tn_default_prefixes[i]);
	EXPECT_EQ(NULL, tn_default_prefixes[i]);
}

TEST(errors_name_the_line)
{
	EXPECT_POLICY_ERROR("\n\nmode = \"permissive\";\n",
			    "p.conf:3: mode must be \"enforce\" or \"audit\"");
	EXPECT_POLICY_ERROR("local_prefixes = [\n \"10.0.0.0/8\",\n \"10.0.0.1/8\" ];\n",
			    "p.conf:3: '10.0.0.1/8' has bits set after the prefix length");
	EXPECT_POLICY_ERROR("local_prefixes = [ \"10.0.0.0/33\" ];",
			    "p.conf:1: '10.0.0.0/33': prefix length must be 0..32");
	EXPECT_POLICY_ERROR("local_prefixes = [ \"0.0.0.0/-18446744073709551615\" ];",
			    "prefix length must be 0..32");
	EXPECT_POLICY_ERROR("local_prefixes = [ \"10.0.0.0/ 8\" ];", "prefix length must be");
	EXPECT_POLICY_ERROR("tags = ( { net = \"10.0.0.1: 80\"; labels = [\"a\"]; } );",
			    "port must be 1..65535");
	EXPECT_POLICY_ERROR("local_prefixes = [ \"not-an-ip/8\" ];",
			    "p.conf:1: 'not-an-ip' is not an IPv4 or IPv6 address");
}

TEST(syntax_errors_name_the_line)
{
	EXPECT_POLICY_ERROR("mode = \"enforce\";\n\"quoted\" = 1;\n", "p.conf:2: syntax error");
	EXPECT_POLICY_ERROR("mode = \"enforce\";\nmode = \"audit\";\n", "p.conf:2: duplicate setting");
}

TEST(unknown_settings_are_refused_not_ignored)
{
	EXPECT_POLICY_ERROR("mode = \"enforce\";\nallow_all = true;\n",
			    "p.conf:2: unknown setting 'allow_all'");
	EXPECT_POLICY_ERROR("tags = ( { path = \"/x\"; labels = [\"a\"]; lables = [\"b\"]; } );",
			    "unknown setting 'lables' in a tag");
}

TEST(tags_are_checked)
{
	EXPECT_POLICY_ERROR("tags = ( { path = \"/x\"; } );", "p.conf:1: tag has no labels");
	EXPECT_POLICY_ERROR("tags = ( { path = \"/x\"; net = \"10.0.0.1:1\"; labels = [\"a\"]; } );",
			    "exactly one of path");
	EXPECT_POLICY_ERROR("tags = ( { path = \"relative\"; labels = [\"a\"]; } );",
			    "must be absolute");
	EXPECT_POLICY_ERROR("tags = ( { path = \"/x\"; labels = [\"UPPER\"]; } );",
			    "label \"UPPER\" must be 1-32 characters");
	EXPECT_POLICY_ERROR("tags = ( { net = \"10.0.0.1:0\"; labels = [\"a\"]; } );",
			    "port must be 1..65535");
	EXPECT_POLICY_ERROR("tags = ( { net = \"2001:db8::1:80\"; labels = [\"a\"]; } );",
			    "expected IPV4:PORT or [IPV6]:PORT");
	EXPECT_POLICY_ERROR("tags = ( { path = \"/x\"; labels = [ ]; } );", "non-empty list");
	EXPECT_POLICY_ERROR("tags = ( { path = 5; labels = [\"a\"]; } );",
			    "path must be a string");
}

TEST(workloads_are_checked)
{
	EXPECT_POLICY_ERROR("workloads = ( { name = \"a\"; } );", "needs name");
	EXPECT_POLICY_ERROR("workloads = (\n { name = \"a\"; cgroup = \"/c/a\"; },\n"
			    " { name = \"a\"; cgroup = \"/c/b\"; } );",
			    "p.conf:3: workload \"a\" is already defined on line 2");
	EXPECT_POLICY_ERROR("workloads = ( { name = \"a b\"; cgroup = \"/c\"; } );",
			    "workload name \"a b\"");
	EXPECT_POLICY_ERROR("workloads = ( { name = \"a\"; cgroup = \"c\"; } );",
			    "must be an absolute path");
}

TEST(trusted_receivers_are_checked)
{
	EXPECT_POLICY_ERROR("trusted_receivers = ( { name = \"dns\"; } );",
			    "a trusted receiver needs name");
	EXPECT_POLICY_ERROR("trusted_receivers = ( { name = \"dns\"; cgroup = \"/a\"; },\n"
			    "{ name = \"dns\"; cgroup = \"/b\"; } );",
			    "p.conf:2: trusted receiver \"dns\" is already defined on line 1");
}

TEST(tagged_readers_and_trusted_readers_are_checked)
{
	struct tn_policy p;
	struct tn_err e;

	ASSERT_EQ(0, parse("tagged_readers = \"workloads\";\n"
			   "trusted_readers = ( { name = \"backup\"; cgroup = \"/sys/fs/cgroup/system.slice/backup.service\"; } );\n",
			   &p, &e)) TH_LOG("%s", e.msg);
	EXPECT_EQ(TN_TAGGED_READERS_WORKLOADS, (int)p.tagged_readers);
	EXPECT_EQ(1, p.tagged_readers_line);
	ASSERT_EQ(1, p.nreaders);
	EXPECT_STREQ("backup", p.readers[0].name);
	EXPECT_EQ(2, p.readers[0].line);
	tn_policy_free(&p);
	ASSERT_EQ(0, parse("tagged_readers = \"workloads-in-lsm-mode\";\n", &p, &e));
	EXPECT_EQ(TN_TAGGED_READERS_WORKLOADS_LSM, (int)p.tagged_readers);
	tn_policy_free(&p);
	ASSERT_EQ(0, parse("# nothing\n", &p, &e));
	EXPECT_EQ(TN_TAGGED_READERS_ANYONE, (int)p.tagged_readers);
	tn_policy_free(&p);

	EXPECT_POLICY_ERROR("mode = \"audit\";\ntagged_readers = \"everyone\";\n",
			    "p.conf:2: tagged_readers must be \"anyone\", \"workloads\" or \"workloads-in-lsm-mode\", not \"everyone\"");
	EXPECT_POLICY_ERROR("tagged_readers = true;\n", "p.conf:1: tagged_readers must be a string");
	EXPECT_POLICY_ERROR("tagged_readers = \"\";\n", "p.conf:1: tagged_readers must not be empty");
	/* Readers without the restriction would trust no one: a mistake. */
	EXPECT_POLICY_ERROR("trusted_readers = ( { name = \"b\"; cgroup = \"/c/b\"; } );\n",
			    "p.conf:1: trusted_readers has no effect unless tagged_readers = \"workloads\"");
	EXPECT_POLICY_ERROR("tagged_readers = \"anyone\";\n"
			    "trusted_readers = ( { name = \"b\"; cgroup = \"/c/b\"; } );\n",
			    "p.conf:2: trusted_readers has no effect unless");
	EXPECT_POLICY_ERROR("tagged_readers = \"workloads\";\n"
			    "trusted_readers = ( { name = \"b\"; cgroup = \"c/b\"; } );\n",
			    "p.conf:2: cgroup \"c/b\" must be an absolute path");
	EXPECT_POLICY_ERROR("tagged_readers = \"workloads\";\n"
			    "trusted_readers = ( { name = \"b\"; cgroup = \"/a\"; },\n"
			    "{ name = \"b\"; cgroup = \"/b\"; } );",
			    "p.conf:3: trusted reader \"b\" is already defined on line 2");
	EXPECT_POLICY_ERROR("tagged_readers = \"workloads\";\n"
			    "trusted_readers = ( { name = \"b\"; cgroup = \"/a\"; exe = \"/usr/bin/borg\"; } );",
			    "p.conf:2: unknown setting 'exe' in a trusted reader");
	EXPECT_POLICY_ERROR("tagged_readers = \"workloads\";\n"
			    "trusted_readers = ( { name = \"b\"; } );",
			    "a trusted reader needs name");
}

/* Where cgroup2 is mounted here (the host's is hybrid: .../unified). */
static const char *cgroup2_root(void)
{
	static char dir[256];
	char dev[256], type[64];
	FILE *f = fopen("/proc/self/mounts", "r");

	while (f && fscanf(f, "%255s %255s %63s %*[^\n]", dev, dir, type) == 3)
		if (!strcmp(type, "cgroup2")) {
			fclose(f);
			return dir;
		}
	if (f)
		fclose(f);
	return NULL;
}

TEST(a_trusted_reader_is_a_cgroup_other_than_the_root_and_may_be_pending)
{
	const char *root = cgroup2_root();
	char text[1024];
	struct tn_policy p;
	struct tn_err e;

	if (!root)
		SKIP(return, "no cgroup2 mount");
	/* The root cgroup holds every process: trusting it is no setting. */
	snprintf(text, sizeof(text), "tagged_readers = \"workloads\";\n"
		 "trusted_readers = ( { name = \"all\"; cgroup = \"%s/\"; } );\n", root);
	ASSERT_EQ(0, parse(text, &p, &e)) TH_LOG("%s", e.msg);
	EXPECT_EQ(-1, tn_policy_resolve(&p, "p.conf", &e));
	EXPECT_NE(NULL, strstr(e.msg, "p.conf:2: ")) TH_LOG("%s", e.msg);
	EXPECT_NE(NULL, strstr(e.msg, "is the root cgroup")) TH_LOG("%s", e.msg);
	tn_policy_free(&p);
	/* A service that is not running has no cgroup yet: pending, id 0. */
	snprintf(text, sizeof(text), "tagged_readers = \"workloads\";\n"
		 "trusted_readers = ( { name = \"later\"; cgroup = \"%s/tntest-not-made/backup.service\"; } );\n", root);
	ASSERT_EQ(0, parse(text, &p, &e));
	EXPECT_EQ(0, tn_policy_resolve(&p, "p.conf", &e)) TH_LOG("%s", e.msg);
	EXPECT_EQ(0ULL, (unsigned long long)p.readers[0].cgid);
	tn_policy_free(&p);
	snprintf(text, sizeof(text), "tagged_readers = \"workloads\";\n"
		 "trusted_readers = ( { name = \"odd\"; cgroup = \"%s/tntest-not-made/../x\"; } );\n", root);
	ASSERT_EQ(0, parse(text, &p, &e));
	EXPECT_EQ(-1, tn_policy_resolve(&p, "p.conf", &e));
	EXPECT_NE(NULL, strstr(e.msg, "must be a plain path")) TH_LOG("%s", e.msg);
	tn_policy_free(&p);
	ASSERT_EQ(0, parse("tagged_readers = \"workloads\";\n"
			   "trusted_readers = ( { name = \"tmp\"; cgroup = \"/tmp/tntest-not-made/x\"; } );\n",
			   &p, &e));
	EXPECT_EQ(-1, tn_policy_resolve(&p, "p.conf", &e));
	EXPECT_NE(NULL, strstr(e.msg, "not below a cgroup v2 directory")) TH_LOG("%s", e.msg);
	tn_policy_free(&p);
	/* An existing cgroup: its id. */
	snprintf(text, sizeof(text), "tagged_readers = \"workloads\";\n"
		 "trusted_readers = ( { name = \"self\"; cgroup = \"%s\"; } );\n", root);
	ASSERT_EQ(0, parse(text, &p, &e));
	EXPECT_EQ(-1, tn_policy_resolve(&p, "p.conf", &e)) TH_LOG("the root itself, without a slash");
	tn_policy_free(&p);
}

TEST(tagged_readers_is_measured_only_when_set)
{
	char *a = NULL, *b = NULL, *c = NULL;
	uint8_t da[TN_POLICY_DIGEST_LEN], db[TN_POLICY_DIGEST_LEN], dc[TN_POLICY_DIGEST_LEN];
	struct tn_err e;

	ASSERT_EQ(0, tn_policy_text_canonical("mode = \"enforce\";\n", "p", &a, da, &e));
	ASSERT_EQ(0, tn_policy_text_canonical("mode = \"enforce\";\ntagged_readers = \"anyone\";\n",
					      "p", &b, db, &e));
	ASSERT_EQ(0, tn_policy_text_canonical("mode = \"enforce\";\ntagged_readers = \"workloads\";\n"
					      "trusted_readers = ( { name = \"b\"; cgroup = \"/c/b\"; } );\n",
					      "p", &c, dc, &e));
	/* Older digests stay valid; the setting changes what is enforced. */
	EXPECT_EQ(0, memcmp(da, db, sizeof(da)));
	EXPECT_NE(0, memcmp(da, dc, sizeof(da)));
	EXPECT_NE(NULL, strstr(c, "\"tagged_readers\":\"workloads\",\"trusted_readers\":[{\"name\":\"b\",\"cgroup\":\"/c/b\"}]")) TH_LOG("%s", c);
	free(a);
	free(b);
	free(c);
}

/* Expiring derived tags takes labels off data: only when asked, and sane. */
TEST(derived_max_age_is_a_duration_and_off_by_default)
{
	static const struct { const char *v; uint64_t s; } ok[] = {
		{ "\"30d\"", 30 * 86400ULL }, { "\"12h\"", 12 * 3600 },
		{ "\"90m\"", 90 * 60 }, { "\"45s\"", 45 }, { "\"7\"", 7 },
		{ "3600", 3600 }, { "\"3650d\"", 3650 * 86400ULL },
	};
	static const char *const bad[] = {
		"\"30x\"", "\"d\"", "\"\"", "0", "-5", "\"0s\"", "\"3651d\"",
		"\"30dd\"", "\" 5s\"", "1.5", "[ 1 ]", "\"99999999999999999999d\"",
	};
	struct tn_policy p;
	struct tn_err e;
	char text[128];
	size_t i;

	ASSERT_EQ(0, parse("mode = \"enforce\";\n", &p, &e));
	EXPECT_EQ(0ULL, p.derived_max_age);
	tn_policy_free(&p);
	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		snprintf(text, sizeof(text), "derived_max_age = %s;\n", ok[i].v);
		ASSERT_EQ(0, parse(text, &p, &e)) TH_LOG("%s: %s", ok[i].v, e.msg);
		EXPECT_EQ(ok[i].s, p.derived_max_age) TH_LOG("%s", ok[i].v);
		tn_policy_free(&p);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(text, sizeof(text), "\nderived_max_age = %s;\n", bad[i]);
		EXPECT_POLICY_ERROR(text, "p.conf:2: derived_max_age must be a duration");
	}
}

TEST(includes_are_refused)
{
	EXPECT_POLICY_ERROR("mode = \"audit\";\n  @include \"/etc/shadow\"\n",
			    "p.conf:2: @include is not supported");
}

TEST(v4_mapped_endpoints_are_ipv4)
{
	struct tn_endpoint ep;
	struct tn_err e;

	ASSERT_EQ(0, tn_parse_endpoint("[::ffff:198.51.100.7]:443", &ep, &e));
	EXPECT_EQ(AF_INET, ep.family);
	EXPECT_EQ(198, ep.addr[0]);
	EXPECT_EQ(7, ep.addr[3]);
	EXPECT_EQ(0, ep.addr[4]);
}

TEST(trustctl_policy_check_reports_file_line_and_exits_5)
{
	char cmd[512], out[1024] = "";
	const char *path = "/tmp/tn-policy-check.conf";
	FILE *f = fopen(path, "w"), *p;
	int st;

	ASSERT_NE(NULL, f);
	fputs("mode = \"enforce\";\nlocal_prefixes = [ \"10.0.0.0/8\" ];\n"
	      "tags = ( { path = \"/nonexistent/trustnode\"; labels = [\"a\"]; } );\n", f);
	fclose(f);
	snprintf(cmd, sizeof(cmd), "%s/trustctl policy check %s 2>&1",
		 getenv("TN_BUILD") ?: "build", path);
	p = popen(cmd, "r");
	ASSERT_NE(NULL, p);
	if (fread(out, 1, sizeof(out) - 1, p) == 0)
		out[0] = 0;
	st = pclose(p);
	unlink(path);
	EXPECT_EQ(5, WEXITSTATUS(st));
	EXPECT_NE(NULL, strstr(out, "tn-policy-check.conf:3: cannot tag '/nonexistent/trustnode'"))
		TH_LOG("%s", out);
}

/*
 * docs/policy.md and the parser cannot drift: every setting the parser
 * accepts has a row "| `NAME` |" in the table of its level (the top-level
 * table, or the section "### `GROUP`").
 */
static char *read_doc(const char *path)
{
	static char buf[64 * 1024];
	FILE *f = fopen(path, "r");
	size_t n;

	if (!f)
		return NULL;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	return buf;
}

/* The text of a level's table: from its heading to the next heading. */
static int section_of(const char *doc, const char *group, const char **start,
		      const char **end)
{
	char head[80];
	const char *s;

	if (group[0])
		snprintf(head, sizeof(head), "\n### `%s`\n", group);
	else
		snprintf(head, sizeof(head), "\n## Top-level settings\n");
	s = strstr(doc, head);
	if (!s)
		return -1;
	*start = s + 1;
	*end = strstr(*start + strlen(head) - 1, "\n#");
	if (!*end)
		*end = *start + strlen(*start);
	return 0;
}

TEST(docs_policy_md_documents_every_setting_the_parser_accepts)
{
	const char *doc = read_doc("docs/policy.md");
	const struct tn_policy_level *l;
	int checked = 0;

	ASSERT_NE(NULL, doc) TH_LOG("run from the repository top: docs/policy.md not found");
	for (l = tn_policy_levels; l->members; l++) {
		const char *start, *end;
		const char *const *m;

		ASSERT_EQ(0, section_of(doc, l->group, &start, &end))
			TH_LOG("docs/policy.md has no section for \"%s\"", l->group);
		for (m = l->members; *m; m++) {
			char row[80];
			const char *hit;

			snprintf(row, sizeof(row), "\n| `%s` |", *m);
			hit = strstr(start, row);
			EXPECT_TRUE(hit && hit < end)
				TH_LOG("docs/policy.md does not document %s%s%s",
				       l->group, l->group[0] ? "." : "", *m);
			checked++;
		}
	}
	/* The table is not empty by accident: 11 top-level settings and more. */
	EXPECT_GE(checked, 11 + 3 + 2 + 2 + 2 + 4 + 2);
}

TEST_HARNESS_MAIN
