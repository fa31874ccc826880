// SPDX-License-Identifier: GPL-2.0-only
#include <json-c/json.h>
#include <openssl/sha.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "policy_canon.h"

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Sorts the strings of a json array (all members are strings we made). */
static json_object *sorted_strings(char **s, int n)
{
	char **v = calloc(n ? n : 1, sizeof(*v));
	json_object *a = json_object_new_array();

	if (!v || !a) {
		free(v);
		json_object_put(a);
		return NULL;
	}
	memcpy(v, s, n * sizeof(*v));
	qsort(v, n, sizeof(*v), cmp_str);
	for (int i = 0; i < n; i++)
		json_object_array_add(a, json_object_new_string(v[i]));
	free(v);
	return a;
}

static int cmp_json_key(const void *a, const void *b)
{
	json_object *x = *(json_object *const *)a, *y = *(json_object *const *)b;
	json_object *kx, *ky;

	json_object_object_get_ex(x, "key", &kx);
	json_object_object_get_ex(y, "key", &ky);
	return strcmp(json_object_get_string(kx), json_object_get_string(ky));
}

/* Sorts an array of objects by their "key" member, then drops "key". */
static void sort_by_key(json_object *a)
{
	json_object_array_sort(a, cmp_json_key);
	for (size_t i = 0; i < json_object_array_length(a); i++)
		json_object_object_del(json_object_array_get_idx(a, i), "key");
}

static json_object *prefixes_json(const struct tn_policy *p)
{
	char **s = calloc(p->nprefixes ? p->nprefixes : 1, sizeof(*s));
	json_object *a;
	int i;

	if (!s)
		return NULL;
	for (i = 0; i < p->nprefixes; i++) {
		s[i] = malloc(TN_ADDR_STRLEN);
		if (!s[i])
			break;
		tn_format_prefix(s[i], TN_ADDR_STRLEN, &p->prefixes[i]);
	}
	a = i == p->nprefixes ? sorted_strings(s, p->nprefixes) : NULL;
	while (i-- > 0)
		free(s[i]);
	free(s);
	return a;
}

static json_object *tags_json(const struct tn_policy *p)
{
	json_object *a = json_object_new_array();

	for (int i = 0; a && i < p->ntags; i++) {
		const struct tn_policy_tag *t = &p->tags[i];
		json_object *o = json_object_new_object();
		char buf[TN_ADDR_STRLEN + 8], key[4200];

		if (t->is_net) {
			tn_format_endpoint(buf, sizeof(buf), t->ep.family,
					   t->ep.addr, t->ep.port);
			json_object_object_add(o, "net", json_object_new_string(buf));
			snprintf(key, sizeof(key), "net:%s", buf);
		} else {
			json_object_object_add(o, "path",
					       json_object_new_string(t->path));
			snprintf(key, sizeof(key), "path:%s", t->path);
		}
		json_object_object_add(o, "labels",
				       sorted_strings(t->labels, t->nlabels));
		json_object_object_add(o, "key", json_object_new_string(key));
		json_object_array_add(a, o);
	}
	if (a)
		sort_by_key(a);
	return a;
}

static json_object *cgroups_json(const struct tn_policy_workload *w, int n)
{
	json_object *a = json_object_new_array();

	for (int i = 0; a && i < n; i++) {
		json_object *o = json_object_new_object();

		json_object_object_add(o, "name", json_object_new_string(w[i].name));
		json_object_object_add(o, "cgroup",
				       json_object_new_string(w[i].cgroup));
		json_object_object_add(o, "key", json_object_new_string(w[i].name));
		json_object_array_add(a, o);
	}
	if (a)
		sort_by_key(a);
	return a;
}

static json_object *peers_json(const struct tn_policy *p)
{
	json_object *a = json_object_new_array();

	for (int i = 0; a && i < p->npeers; i++) {
		const struct tn_policy_peer *pe = &p->peers[i];
		json_object *o = json_object_new_object(), *acc;
		char *addrs[TN_PEER_MAX_ADDRS], buf[TN_PEER_MAX_ADDRS][TN_ADDR_STRLEN];
		static const char *const kinds[] = { "enrolled", "same", "list" };

		for (int j = 0; j < pe->naddrs; j++) {
			tn_format_prefix(buf[j], TN_ADDR_STRLEN, &pe->addrs[j]);
			addrs[j] = buf[j];
		}
		json_object_object_add(o, "name", json_object_new_string(pe->name));
		json_object_object_add(o, "url", json_object_new_string(pe->url));
		json_object_object_add(o, "addresses", sorted_strings(addrs, pe->naddrs));
		if (pe->accept == TN_ACCEPT_LIST) {
			char *d[16], hex[16][65];

			for (int j = 0; j < pe->ndigests; j++) {
				for (int k = 0; k < 32; k++)
					snprintf(hex[j] + 2 * k, 3, "%02x", pe->digests[j][k]);
				d[j] = hex[j];
			}
			acc = sorted_strings(d, pe->ndigests);
		} else {
			acc = json_object_new_string(kinds[pe->accept]);
		}
		json_object_object_add(o, "accept_policy", acc);
		json_object_object_add(o, "key", json_object_new_string(pe->name));
		json_object_array_add(a, o);
	}
	if (a)
		sort_by_key(a);
	return a;
}

int tn_policy_canonical(const struct tn_policy *p, char **out,
			uint8_t digest[TN_POLICY_DIGEST_LEN], struct tn_err *err)
{
	json_object *o = json_object_new_object();
	const char *s;
	int ret = -1;

	if (!o)
		return tn_fail(err, "out of memory");
	json_object_object_add(o, "version", json_object_new_int(1));
	json_object_object_add(o, "mode", json_object_new_string(
		p->enforce ? "enforce" : "audit"));
	json_object_object_add(o, "local_prefixes", p->prefixes_given ?
			       prefixes_json(p) : json_object_new_string("default"));
	json_object_object_add(o, "tags", tags_json(p));
	json_object_object_add(o, "workloads",
			       cgroups_json(p->workloads, p->nworkloads));
	json_object_object_add(o, "trusted_receivers",
			       cgroups_json(p->trusted, p->ntrusted));
	/* Likewise: only when set, so older digests stay valid. */
	if (p->tagged_readers != TN_TAGGED_READERS_ANYONE) {
		json_object_object_add(o, "tagged_readers", json_object_new_string(
			tn_tagged_readers_name(p->tagged_readers)));
		json_object_object_add(o, "trusted_readers",
				       cgroups_json(p->readers, p->nreaders));
	}
	/* Attested-peers mode only when used: older digests stay valid. */
	if (p->npeers) {
		json_object_object_add(o, "local_network", json_object_new_string(
			p->peers_only ? "peers-only" : "prefixes+peers"));
		json_object_object_add(o, "peers", peers_json(p));
		json_object_object_add(o, "attest_interval", json_object_new_int(p->attest_interval));
		json_object_object_add(o, "attest_max_age", json_object_new_int(p->attest_max_age));
	}
	/* Only when set: digests of policies without it stay as they were. */
	if (p->derived_max_age)
		json_object_object_add(o, "derived_max_age",
				       json_object_new_int64(p->derived_max_age));
	s = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
					   JSON_C_TO_STRING_NOSLASHESCAPE);
	if (s && (*out = strdup(s))) {
		SHA256((const unsigned char *)s, strlen(s), digest);
		ret = 0;
	} else {
		tn_fail(err, "out of memory");
	}
	json_object_put(o);
	return ret;
}

int tn_policy_text_canonical(const char *text, const char *name, char **out,
			     uint8_t digest[TN_POLICY_DIGEST_LEN],
			     struct tn_err *err)
{
	struct tn_policy p;
	int ret;

	memset(&p, 0, sizeof(p));
	if (tn_policy_parse(text, name, &p, err))
		return -1;
	ret = tn_policy_canonical(&p, out, digest, err);
	tn_policy_free(&p);
	return ret;
}
