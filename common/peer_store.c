// SPDX-License-Identifier: GPL-2.0-only
#include <dirent.h>
#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <tss2/tss2_mu.h>
#include <unistd.h>
#include "hex.h"
#include "peer_store.h"
#include "policy.h"
#include "proto.h"
#include "trustnode/attest_api.h"

static int peer_path(const char *dir, const char *name, char *out, size_t n,
		     struct tn_err *err)
{
	if (!tn_valid_name(name))
		return tn_fail(err, "\"%s\" is not a valid peer name ([a-z0-9_.-], 1..32)",
			       name);
	snprintf(out, n, "%s/" TN_PEER_DIR "/%s.json", dir, name);
	return 0;
}

static void add_hex(json_object *o, const char *k, const uint8_t *b, size_t n)
{
	char *h = tn_hex_dup(b, n);

	json_object_object_add(o, k, json_object_new_string(h ? h : ""));
	free(h);
}

static void add_public(json_object *o, const char *k, const TPM2B_PUBLIC *p)
{
	uint8_t buf[sizeof(*p)];
	size_t off = 0;

	Tss2_MU_TPM2B_PUBLIC_Marshal(p, buf, sizeof(buf), &off);
	add_hex(o, k, buf, off);
}

static json_object *digest_list(const uint8_t (*d)[TN_DIGEST_LEN], int n)
{
	json_object *a = json_object_new_array();

	for (int i = 0; i < n; i++) {
		char hex[2 * TN_DIGEST_LEN + 1];

		tn_hex_encode(d[i], TN_DIGEST_LEN, hex);
		json_object_array_add(a, json_object_new_string(hex));
	}
	return a;
}

void tn_peer_pin_pcr(struct tn_peer *p, unsigned pcr)
{
	p->pcr = pcr;
	p->quote_mask = 1u << pcr;
	p->pcr_assumed = 0;
}

static json_object *pcr_list(uint32_t mask)
{
	json_object *a = json_object_new_array();

	for (unsigned i = 0; i < 32; i++)
		if (mask & (1u << i))
			json_object_array_add(a, json_object_new_int(i));
	return a;
}

int tn_peer_save(const char *dir, const struct tn_peer *p, struct tn_err *err)
{
	char path[4096], tmp[4200];
	json_object *o = json_object_new_object();
	int ret = 0;

	if (mkdir(dir, 0700) && errno != EEXIST)
		return tn_fail_errno(err, errno, "cannot create %s", dir);
	snprintf(path, sizeof(path), "%s/" TN_PEER_DIR, dir);
	if (mkdir(path, 0700) && errno != EEXIST)
		return tn_fail_errno(err, errno, "cannot create %s", path);
	if (peer_path(dir, p->name, path, sizeof(path), err))
		return -1;
	json_object_object_add(o, "name", json_object_new_string(p->name));
	json_object_object_add(o, "url", json_object_new_string(p->url));
	add_hex(o, "identity_key", p->idkey, TN_IDKEY_LEN);
	add_public(o, "ak_public", &p->ak);
	add_public(o, "ek_public", &p->ek);
	json_object_object_add(o, "ek_certificate_verified",
			       json_object_new_boolean(p->ek_cert_verified));
	json_object_object_add(o, "accepted_policies",
			       digest_list(p->policies, p->npolicies));
	json_object_object_add(o, "accepted_software",
			       digest_list(p->software, p->nsoftware));
	if (p->have_clock) {
		json_object *c = json_object_new_object();

		json_object_object_add(c, "reset_count", json_object_new_int64(p->reset_count));
		json_object_object_add(c, "restart_count", json_object_new_int64(p->restart_count));
		json_object_object_add(c, "clock", json_object_new_uint64(p->clock));
		json_object_object_add(o, "last_quote_clock", c);
	}
	json_object_object_add(o, "enrolled_at", json_object_new_int64(p->enrolled_at));
	/* An assumed pin stays assumed: only an enrolment decides it. */
	if (!p->pcr_assumed) {
		json_object_object_add(o, "measurement_pcr", json_object_new_int(p->pcr));
		json_object_object_add(o, "pcr_bank", json_object_new_string(TN_PEER_BANK));
		json_object_object_add(o, "quote_pcrs", pcr_list(p->quote_mask));
	}
	json_object_object_add(o, "require_module", json_object_new_boolean(p->require_module));
	if (p->acceptances) {
		json_object *l = json_object_new_object();

		json_object_object_add(l, "count", json_object_new_int(p->acceptances));
		json_object_object_add(l, "at", json_object_new_int64(p->accepted_at));
		json_object_object_add(l, "what", json_object_new_string(p->accepted_what));
		json_object_object_add(o, "last_acceptance", l);
	}
	if (p->have_log_seen) {
		json_object *l = json_object_new_object();

		json_object_object_add(l, "reset_count", json_object_new_int64(p->seen_reset_count));
		json_object_object_add(l, "entries", json_object_new_int64((int64_t)p->seen_entries));
		add_hex(l, "chain", p->seen_chain, TN_DIGEST_LEN);
		add_hex(l, "pcr", p->seen_pcr, TN_DIGEST_LEN);
		json_object_object_add(l, "summary", tn_log_summary_json(&p->seen_summary));
		json_object_object_add(l, "verified_at", json_object_new_int64(p->seen_at));
		json_object_object_add(o, "measurement_log_seen", l);
	}
	if (p->have_log_cp) {
		json_object *l = json_object_new_object();

		add_hex(l, "log_id", p->log_id, sizeof(p->log_id));
		json_object_object_add(l, "covers", json_object_new_int64((int64_t)p->log_cp_covers));
		add_hex(l, "head", p->log_cp_head, sizeof(p->log_cp_head));
		json_object_object_add(o, "audit_checkpoint_seen", l);
	}
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	if (json_object_to_file_ext(tmp, o, JSON_C_TO_STRING_PRETTY |
				    JSON_C_TO_STRING_NOSLASHESCAPE) ||
	    rename(tmp, path))
		ret = tn_fail_errno(err, errno, "cannot write %s", path);
	json_object_put(o);
	return ret;
}

static int get_public(json_object *o, const char *k, TPM2B_PUBLIC *p,
		      const char *path, struct tn_err *err)
{
	uint8_t buf[sizeof(*p)];
	size_t n, off = 0;

	if (tn_hex_decode(tn_json_str(o, k), buf, sizeof(buf), &n, k, err))
		return -1;
	if (Tss2_MU_TPM2B_PUBLIC_Unmarshal(buf, n, &off, p) || off != n)
		return tn_fail(err, "%s: %s is not a TPM2B_PUBLIC", path, k);
	return 0;
}

static int get_digests(json_object *o, const char *k,
		       uint8_t (*d)[TN_DIGEST_LEN], int *n, struct tn_err *err)
{
	json_object *a;
	size_t len;

	*n = 0;
	if (!json_object_object_get_ex(o, k, &a) ||
	    !json_object_is_type(a, json_type_array) ||
	    json_object_array_length(a) > TN_PEER_MAX_ACCEPT)
		return tn_fail(err, "%s must be a list of at most %d digests", k,
			       TN_PEER_MAX_ACCEPT);
	for (size_t i = 0; i < json_object_array_length(a); i++) {
		if (tn_hex_decode(json_object_get_string(json_object_array_get_idx(a, i)),
				  d[i], TN_DIGEST_LEN, &len, k, err))
			return -1;
		if (len != TN_DIGEST_LEN)
			return tn_fail(err, "%s: a digest is not 32 bytes", k);
		(*n)++;
	}
	return 0;
}

/*
 * The pinned measurement PCR. A file from before pinning has none: it gets
 * PCR 13 in sha256 quoted alone, what every agent used unless started with
 * --pcr, and the verdict says it was assumed (re-enrolling pins it).
 */
static int parse_pcr_pin(json_object *o, const char *path, struct tn_peer *p,
			 struct tn_err *err)
{
	json_object *a;
	const char *bank;
	long long v;

	if (!json_object_object_get_ex(o, "measurement_pcr", NULL)) {
		tn_peer_pin_pcr(p, TN_DEFAULT_PCR);
		p->pcr_assumed = 1;
		return 0;
	}
	bank = tn_json_str(o, "pcr_bank");
	if (tn_json_int(o, "measurement_pcr", &v) || v < 0 || v > 23)
		return tn_fail(err, "%s: measurement_pcr must be 0..23", path);
	if (!bank || strcmp(bank, TN_PEER_BANK))
		return tn_fail(err, "%s: pcr_bank must be \"" TN_PEER_BANK "\" (the only bank supported)",
			       path);
	p->pcr = (unsigned)v;
	p->quote_mask = 0;
	if (!json_object_object_get_ex(o, "quote_pcrs", &a) ||
	    !json_object_is_type(a, json_type_array))
		return tn_fail(err, "%s: quote_pcrs must be a list of PCR numbers", path);
	for (size_t i = 0; i < json_object_array_length(a); i++) {
		json_object *e = json_object_array_get_idx(a, i);
		int n = json_object_get_int(e);

		if (!json_object_is_type(e, json_type_int) || n < 0 || n > 23)
			return tn_fail(err, "%s: quote_pcrs must be a list of PCR numbers 0..23", path);
		p->quote_mask |= 1u << n;
	}
	if (!(p->quote_mask & (1u << p->pcr)))
		return tn_fail(err, "%s: quote_pcrs does not include the measurement PCR %u",
			       path, p->pcr);
	return 0;
}

static int parse_peer(json_object *o, const char *path, struct tn_peer *p,
		      struct tn_err *err)
{
	const char *name = tn_json_str(o, "name"), *url = tn_json_str(o, "url");
	json_object *c;
	long long v;
	size_t n;

	memset(p, 0, sizeof(*p));
	if (!name || !url || strlen(name) >= sizeof(p->name) ||
	    strlen(url) >= sizeof(p->url))
		return tn_fail(err, "%s: missing or overlong name or url", path);
	strcpy(p->name, name);
	strcpy(p->url, url);
	if (tn_hex_decode(tn_json_str(o, "identity_key"), p->idkey,
			  TN_IDKEY_LEN, &n, "identity_key", err) || n != TN_IDKEY_LEN ||
	    get_public(o, "ak_public", &p->ak, path, err) ||
	    get_public(o, "ek_public", &p->ek, path, err) ||
	    get_digests(o, "accepted_policies", p->policies, &p->npolicies, err) ||
	    get_digests(o, "accepted_software", p->software, &p->nsoftware, err))
		return tn_fail(err, "%s: %s", path, err->msg);
	p->ek_cert_verified = json_object_get_boolean(
		json_object_object_get(o, "ek_certificate_verified"));
	if (json_object_object_get_ex(o, "last_quote_clock", &c)) {
		p->have_clock = 1;
		if (!tn_json_int(c, "reset_count", &v))
			p->reset_count = (uint32_t)v;
		if (!tn_json_int(c, "restart_count", &v))
			p->restart_count = (uint32_t)v;
		p->clock = json_object_get_uint64(json_object_object_get(c, "clock"));
	}
	if (!tn_json_int(o, "enrolled_at", &v))
		p->enrolled_at = v;
	if (parse_pcr_pin(o, path, p, err))
		return -1;
	p->require_module = json_object_get_boolean(
		json_object_object_get(o, "require_module"));
	if (json_object_object_get_ex(o, "last_acceptance", &c)) {
		const char *what = tn_json_str(c, "what");

		if (tn_json_int(c, "count", &v) || v < 1 || v > INT32_MAX)
			return tn_fail(err, "%s: last_acceptance is malformed", path);
		p->acceptances = (int)v;
		if (!tn_json_int(c, "at", &v))
			p->accepted_at = v;
		snprintf(p->accepted_what, sizeof(p->accepted_what), "%s", what ? what : "");
	}
	/*
	 * Files from before the chain value and summary hold a flat digest,
	 * which no tail can be checked against: the next check judges the
	 * boot as new, from what the node sends.
	 */
	if (json_object_object_get_ex(o, "measurement_log_seen", &c) &&
	    json_object_object_get_ex(c, "chain", NULL)) {
		json_object *sum;

		if (tn_json_int(c, "reset_count", &v) || v < 0 || v > UINT32_MAX)
			return tn_fail(err, "%s: measurement_log_seen.reset_count is malformed", path);
		p->seen_reset_count = (uint32_t)v;
		if (tn_json_int(c, "entries", &v) || v < 0 ||
		    tn_hex_decode(tn_json_str(c, "chain"), p->seen_chain, TN_DIGEST_LEN,
				  &n, "measurement_log_seen.chain", err) || n != TN_DIGEST_LEN ||
		    tn_hex_decode(tn_json_str(c, "pcr"), p->seen_pcr, TN_DIGEST_LEN,
				  &n, "measurement_log_seen.pcr", err) || n != TN_DIGEST_LEN ||
		    !json_object_object_get_ex(c, "summary", &sum) ||
		    tn_log_summary_parse(sum, &p->seen_summary, err))
			return tn_fail(err, "%s: measurement_log_seen is malformed", path);
		p->seen_entries = (uint64_t)v;
		if (!tn_json_int(c, "verified_at", &v))
			p->seen_at = v;
		p->have_log_seen = 1;
	}
	if (json_object_object_get_ex(o, "audit_checkpoint_seen", &c)) {
		if (tn_hex_decode(tn_json_str(c, "log_id"), p->log_id, sizeof(p->log_id),
				  &n, "audit_checkpoint_seen.log_id", err) || n != sizeof(p->log_id) ||
		    tn_hex_decode(tn_json_str(c, "head"), p->log_cp_head, sizeof(p->log_cp_head),
				  &n, "audit_checkpoint_seen.head", err) || n != sizeof(p->log_cp_head) ||
		    tn_json_int(c, "covers", &v) || v < 0)
			return tn_fail(err, "%s: audit_checkpoint_seen is malformed", path);
		p->log_cp_covers = (uint64_t)v;
		p->have_log_cp = 1;
	}
	return 0;
}

int tn_peer_load(const char *dir, const char *name, struct tn_peer *p,
		 struct tn_err *err)
{
	char path[4096];
	json_object *o;
	int ret;

	if (peer_path(dir, name, path, sizeof(path), err))
		return -1;
	if (access(path, F_OK))
		return tn_fail(err, "no enrolled peer \"%s\" (%s); enroll it with: trustctl peer enroll URL --name %s",
			       name, path, name);
	o = json_object_from_file(path);
	if (!o)
		return tn_fail(err, "%s is not valid JSON", path);
	ret = parse_peer(o, path, p, err);
	json_object_put(o);
	return ret;
}

int tn_peer_names(const char *dir, char ***names, int *n, struct tn_err *err)
{
	char path[4096];
	struct dirent **ents;
	int k;

	*names = NULL;
	*n = 0;
	snprintf(path, sizeof(path), "%s/" TN_PEER_DIR, dir);
	k = scandir(path, &ents, NULL, alphasort);
	if (k < 0)
		return errno == ENOENT ? 0 :
			tn_fail_errno(err, errno, "cannot list %s", path);
	*names = calloc(k ? k : 1, sizeof(char *));
	for (int i = 0; i < k; i++) {
		size_t len = strlen(ents[i]->d_name);

		if (*names && len > 5 && !strcmp(ents[i]->d_name + len - 5, ".json")) {
			(*names)[*n] = strndup(ents[i]->d_name, len - 5);
			if ((*names)[*n] && tn_valid_name((*names)[*n]))
				(*n)++;
			else
				free((*names)[*n]);
		}
		free(ents[i]);
	}
	free(ents);
	return *names ? 0 : tn_fail(err, "out of memory");
}

void tn_peer_names_free(char **names, int n)
{
	for (int i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

int tn_peer_find_url(const char *dir, const char *url, struct tn_peer *p,
		     struct tn_err *err)
{
	char **names;
	int n, found = 1;

	if (tn_peer_names(dir, &names, &n, err))
		return -1;
	for (int i = 0; i < n && found == 1; i++) {
		if (tn_peer_load(dir, names[i], p, err))
			found = -1;
		else if (!strcmp(p->url, url))
			found = 0;
	}
	tn_peer_names_free(names, n);
	return found;
}

int tn_peer_remove(const char *dir, const char *name, struct tn_err *err)
{
	char path[4096];

	if (peer_path(dir, name, path, sizeof(path), err))
		return -1;
	if (unlink(path))
		return tn_fail_errno(err, errno, errno == ENOENT ?
				     "no enrolled peer \"%s\"" : "cannot remove peer \"%s\"",
				     name);
	return 0;
}
