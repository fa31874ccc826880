// SPDX-License-Identifier: GPL-2.0-only
#include <openssl/sha.h>
#include <sodium.h>
#include <string.h>
#include "attest_wire.h"
#include "hex.h"
#include "proto.h"
#include "trustnode/attest_api.h"

const uint8_t tn_ek_policy_secret_endorsement[TN_DIGEST_LEN] = {
	0x83, 0x71, 0x97, 0x67, 0x44, 0x84, 0xb3, 0xf8, 0x1a, 0x90, 0xcc,
	0x8d, 0x46, 0xa5, 0xd7, 0x24, 0xfd, 0x52, 0xd7, 0x6e, 0x06, 0x52,
	0x0b, 0x64, 0xf2, 0xa1, 0xda, 0x1b, 0x33, 0x14, 0x69, 0xaa,
};

void tn_qualifying_data(const uint8_t *nonce, size_t nonce_len,
			const uint8_t idkey[TN_IDKEY_LEN],
			uint8_t out[TN_DIGEST_LEN])
{
	crypto_hash_sha256_state c;

	/* sizeof includes the label's NUL: the separator. */
	crypto_hash_sha256_init(&c);
	crypto_hash_sha256_update(&c, (const uint8_t *)TN_QUOTE_LABEL,
				  sizeof(TN_QUOTE_LABEL));
	crypto_hash_sha256_update(&c, nonce, nonce_len);
	crypto_hash_sha256_update(&c, idkey, TN_IDKEY_LEN);
	crypto_hash_sha256_final(&c, out);
}

void tn_pcr_extend_sw(uint8_t pcr[TN_DIGEST_LEN],
		      const uint8_t digest[TN_DIGEST_LEN])
{
	uint8_t buf[2 * TN_DIGEST_LEN];

	memcpy(buf, pcr, TN_DIGEST_LEN);
	memcpy(buf + TN_DIGEST_LEN, digest, TN_DIGEST_LEN);
	SHA256(buf, sizeof(buf), pcr);
}

json_object *tn_measurement_json(const struct tn_measurement *m)
{
	json_object *o = json_object_new_object();
	char hex[2 * TN_DIGEST_LEN + 1];

	tn_hex_encode(m->digest, TN_DIGEST_LEN, hex);
	json_object_object_add(o, "seq", json_object_new_int64((int64_t)m->seq));
	json_object_object_add(o, "type", json_object_new_string(m->type));
	json_object_object_add(o, "digest", json_object_new_string(hex));
	json_object_object_add(o, "detail", json_object_new_string(m->detail));
	if (m->time)
		json_object_object_add(o, "time", json_object_new_int64(m->time));
	return o;
}

int tn_measurement_parse(json_object *o, struct tn_measurement *m,
			 struct tn_err *err)
{
	const char *type = tn_json_str(o, "type");
	const char *detail = tn_json_str(o, "detail");
	long long seq;
	size_t n;

	memset(m, 0, sizeof(*m));
	if (!json_object_is_type(o, json_type_object) ||
	    tn_json_int(o, "seq", &seq) || seq < 0)
		return tn_fail(err, "measurement log entry without a valid \"seq\"");
	m->seq = (uint64_t)seq;
	if (!type || !*type || strlen(type) >= sizeof(m->type))
		return tn_fail(err, "measurement %llu: bad \"type\"", seq);
	if (!detail || strlen(detail) >= sizeof(m->detail))
		return tn_fail(err, "measurement %llu: bad \"detail\"", seq);
	strcpy(m->type, type);
	strcpy(m->detail, detail);
	if (tn_hex_decode(tn_json_str(o, "digest"), m->digest, TN_DIGEST_LEN,
			  &n, "measurement digest", err))
		return -1;
	if (n != TN_DIGEST_LEN)
		return tn_fail(err, "measurement %llu: digest is not 32 bytes", seq);
	if (json_object_object_get_ex(o, "time", NULL)) {
		long long t;

		if (tn_json_int(o, "time", &t) || t <= 0)
			return tn_fail(err, "measurement %llu: bad \"time\"", seq);
		m->time = t;
	}
	return 0;
}
