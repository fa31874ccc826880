// SPDX-License-Identifier: GPL-2.0-only
/*
 * The policy's attested-peers settings (peers, accept_policy, attestation,
 * local_network): apart from the rest of the parser (policy.c) because
 * they are one feature, the one that widens "local" to other nodes.
 */
#include <libconfig.h>
#include <stdlib.h>
#include <string.h>
#include "hex.h"
#include "policy.h"
#include "policy_parse.h"

static int parse_accept(struct tn_parse_ctx *c, struct tn_policy_peer *pe,
			const config_setting_t *s)
{
	int i, n;

	if (config_setting_type(s) == CONFIG_TYPE_STRING) {
		const char *v = config_setting_get_string(s);

		if (!strcmp(v, "same"))
			pe->accept = TN_ACCEPT_SAME;
		else if (!strcmp(v, "enrolled"))
			pe->accept = TN_ACCEPT_ENROLLED;
		else
			return tn_fail_at(c, s, "accept_policy must be \"same\", \"enrolled\" or a list of SHA-256 digests");
		return 0;
	}
	if (!tn_is_list(s) || (n = config_setting_length(s)) == 0 || n > 16)
		return tn_fail_at(c, s, "accept_policy must be \"same\", \"enrolled\" or a list of 1-16 SHA-256 digests");
	pe->accept = TN_ACCEPT_LIST;
	for (i = 0; i < n; i++) {
		const config_setting_t *e = config_setting_get_elem(s, i);
		const char *v = tn_string_of(c, e, "a policy digest");
		struct tn_err herr;
		size_t len;

		if (!v)
			return -1;
		if (tn_hex_decode(v, pe->digests[i], 32, &len, "policy digest", &herr) ||
		    len != 32)
			return tn_fail_at(c, e, "\"%s\" is not a SHA-256 digest (64 hex digits)", v);
		pe->ndigests++;
	}
	return 0;
}

static int parse_peer(struct tn_parse_ctx *c, struct tn_policy *p, int i,
		      const config_setting_t *e)
{
	struct tn_policy_peer *pe = &p->peers[i];
	const config_setting_t *name, *url, *addrs, *acc;
	const char *v;
	int j, n;

	pe->line = config_setting_source_line(e);
	if (config_setting_type(e) != CONFIG_TYPE_GROUP)
		return tn_fail_at(c, e, "each peer must be a group { name = ...; url = ...; addresses = [...]; }");
	if (tn_check_members(c, e, "peer", tn_peer_members))
		return -1;
	name = config_setting_get_member(e, "name");
	url = config_setting_get_member(e, "url");
	addrs = config_setting_get_member(e, "addresses");
	if (!name || !url || !addrs)
		return tn_fail_at(c, e, "a peer needs name, url and addresses");
	if (!(v = tn_string_of(c, name, "name")))
		return -1;
	if (!tn_valid_name(v))
		return tn_fail_at(c, name, "peer name \"%s\" must be 1-%d characters of a-z 0-9 _ . -", v, TN_NAME_MAX);
	for (j = 0; j < i; j++)
		if (!strcmp(p->peers[j].name, v))
			return tn_fail_at(c, name, "peer \"%s\" is already defined on line %d", v, p->peers[j].line);
	pe->name = strdup(v);
	if (!(v = tn_string_of(c, url, "url")))
		return -1;
	if (strncmp(v, "http://", 7) && strncmp(v, "https://", 8))
		return tn_fail_at(c, url, "peer url \"%s\" must be http:// or https://", v);
	pe->url = strdup(v);
	if (!pe->name || !pe->url)
		return tn_fail_at(c, e, "out of memory");
	if (!tn_is_list(addrs) || (n = config_setting_length(addrs)) == 0 ||
	    n > TN_PEER_MAX_ADDRS)
		return tn_fail_at(c, addrs, "addresses must be a list of 1-%d addresses or prefixes", TN_PEER_MAX_ADDRS);
	for (j = 0; j < n; j++) {
		const config_setting_t *a = config_setting_get_elem(addrs, j);
		struct tn_err perr;

		if (!(v = tn_string_of(c, a, "an address")))
			return -1;
		if (tn_parse_prefix(v, &pe->addrs[j], &perr))
			return tn_fail_at(c, a, "%s", perr.msg);
		pe->naddrs++;
	}
	acc = config_setting_get_member(e, "accept_policy");
	return acc ? parse_accept(c, pe, acc) : 0;
}

int tn_parse_peers(struct tn_parse_ctx *c, struct tn_policy *p,
		   const config_setting_t *s)
{
	int i, n;

	if (config_setting_type(s) != CONFIG_TYPE_LIST)
		return tn_fail_at(c, s, "peers must be a list of groups: ( { name = \"b\"; url = \"http://...\"; addresses = [ \"192.0.2.2\" ]; } )");
	n = config_setting_length(s);
	if (n > 256)
		return tn_fail_at(c, s, "at most 256 peers");
	p->peers = calloc(n ? n : 1, sizeof(*p->peers));
	if (!p->peers)
		return tn_fail_at(c, s, "out of memory");
	for (i = 0; i < n; i++) {
		p->npeers++;
		if (parse_peer(c, p, i, config_setting_get_elem(s, i)))
			return -1;
	}
	return 0;
}

/* attestation = { interval = 10; max_age = 30; } */
int tn_parse_attestation(struct tn_parse_ctx *c, struct tn_policy *p,
			 const config_setting_t *s)
{
	const config_setting_t *m;

	if (config_setting_type(s) != CONFIG_TYPE_GROUP)
		return tn_fail_at(c, s, "attestation must be a group { interval = 10; max_age = 30; }");
	if (tn_check_members(c, s, "attestation", tn_attestation_members))
		return -1;
	if ((m = config_setting_get_member(s, "interval"))) {
		if (config_setting_type(m) != CONFIG_TYPE_INT ||
		    config_setting_get_int(m) < 1 || config_setting_get_int(m) > 3600)
			return tn_fail_at(c, m, "attestation interval must be 1..3600 seconds");
		p->attest_interval = config_setting_get_int(m);
	}
	/* Unless given, a peer survives two missed attestations. */
	p->attest_max_age = 3 * p->attest_interval;
	if ((m = config_setting_get_member(s, "max_age"))) {
		if (config_setting_type(m) != CONFIG_TYPE_INT ||
		    config_setting_get_int(m) < 1 || config_setting_get_int(m) > 86400)
			return tn_fail_at(c, m, "attestation max_age must be 1..86400 seconds");
		p->attest_max_age = config_setting_get_int(m);
	}
	if (p->attest_max_age < p->attest_interval)
		return tn_fail_at(c, s, "attestation max_age (%u s) is shorter than the interval (%u s): every peer would expire between attestations",
				  p->attest_max_age, p->attest_interval);
	return 0;
}

int tn_parse_local_network(struct tn_parse_ctx *c, struct tn_policy *p,
			   const config_setting_t *s)
{
	const char *v = tn_string_of(c, s, "local_network");

	if (!v)
		return -1;
	if (!strcmp(v, "peers-only"))
		p->peers_only = 1;
	else if (strcmp(v, "prefixes+peers"))
		return tn_fail_at(c, s, "local_network must be \"prefixes+peers\" or \"peers-only\"");
	return 0;
}
