// SPDX-License-Identifier: GPL-2.0-only
/*
 * Verifier-side TPM crypto, in software: TPM keys and their properties,
 * quotes and PCR digests. The credential challenge is in tpm_credential.c,
 * the EK certificate in tpm_ek_cert.c. References: TPM 2.0 Library Part 2
 * (the structures, marshalled by libtss2-mu) and the TCG EK Credential
 * Profile 2.0 (template L-1).
 */
#include <string.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/rsa.h>
#include <openssl/sha.h>
#include <tss2/tss2_mu.h>
#include <tss2/tss2_rc.h>
#include "hex.h"
#include "tpm_verify.h"

/* PolicySecret(TPM_RH_ENDORSEMENT): the authPolicy of EK template L-1. */
static const uint8_t ek_policy_l1[32] = {
	0x83, 0x71, 0x97, 0x67, 0x44, 0x84, 0xb3, 0xf8,
	0x1a, 0x90, 0xcc, 0x8d, 0x46, 0xa5, 0xd7, 0x24,
	0xfd, 0x52, 0xd7, 0x6e, 0x06, 0x52, 0x0b, 0x64,
	0xf2, 0xa1, 0xda, 0x1b, 0x33, 0x14, 0x69, 0xaa,
};

const char *tpmv_openssl_error(void)
{
	unsigned long e = ERR_peek_last_error();
	const char *r = e ? ERR_reason_error_string(e) : NULL;

	ERR_clear_error();
	return r ? r : "no reason given by OpenSSL";
}

static const EVP_MD *tpm_md(TPM2_ALG_ID alg)
{
	switch (alg) {
	case TPM2_ALG_SHA1:
		return EVP_sha1();
	case TPM2_ALG_SHA256:
		return EVP_sha256();
	case TPM2_ALG_SHA384:
		return EVP_sha384();
	case TPM2_ALG_SHA512:
		return EVP_sha512();
	}
	return NULL;
}

int tpmv_public_from_hex(const char *hex, TPM2B_PUBLIC *out, const char *what,
			 struct tn_err *err)
{
	uint8_t buf[sizeof(TPM2B_PUBLIC)];
	size_t len, off = 0;
	TSS2_RC rc;

	if (tn_hex_decode(hex, buf, sizeof(buf), &len, what, err))
		return -1;
	memset(out, 0, sizeof(*out));
	rc = Tss2_MU_TPM2B_PUBLIC_Unmarshal(buf, len, &off, out);
	if (rc)
		return tn_fail(err, "%s is not a marshalled TPM2B_PUBLIC: %s",
			       what, Tss2_RC_Decode(rc));
	if (off != len)
		return tn_fail(err, "%s has %zu bytes after its TPM2B_PUBLIC",
			       what, len - off);
	return 0;
}

int tpmv_public_name(const TPM2B_PUBLIC *pub, TPM2B_NAME *name,
		     struct tn_err *err)
{
	const EVP_MD *md = tpm_md(pub->publicArea.nameAlg);
	uint8_t buf[sizeof(TPMT_PUBLIC)];
	size_t len = 0, off = 0;
	unsigned int hlen;
	TSS2_RC rc;

	if (!md)
		return tn_fail(err, "the key's nameAlg 0x%04x is not a hash trustnode knows",
			       pub->publicArea.nameAlg);
	rc = Tss2_MU_TPMT_PUBLIC_Marshal(&pub->publicArea, buf, sizeof(buf), &len);
	if (!rc)
		rc = Tss2_MU_UINT16_Marshal(pub->publicArea.nameAlg, name->name,
					    sizeof(name->name), &off);
	if (rc)
		return tn_fail(err, "cannot marshal the key's public area: %s",
			       Tss2_RC_Decode(rc));
	if (EVP_Digest(buf, len, name->name + off, &hlen, md, NULL) != 1)
		return tn_fail(err, "cannot hash the key's public area: %s",
			       tpmv_openssl_error());
	name->size = (UINT16)(off + hlen);
	return 0;
}

/* A public key from the parameters in bld ("RSA" or "EC" keys). */
static int pkey_from_params(const char *type, OSSL_PARAM_BLD *bld,
			    EVP_PKEY **out, struct tn_err *err)
{
	OSSL_PARAM *params = OSSL_PARAM_BLD_to_param(bld);
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, type, NULL);
	int ret = -1;

	*out = NULL;
	if (params && ctx && EVP_PKEY_fromdata_init(ctx) == 1 &&
	    EVP_PKEY_fromdata(ctx, out, EVP_PKEY_PUBLIC_KEY, params) == 1)
		ret = 0;
	else
		tn_fail(err, "the TPM key is not a valid %s public key: %s",
			type, tpmv_openssl_error());
	EVP_PKEY_CTX_free(ctx);
	OSSL_PARAM_free(params);
	return ret;
}

static int rsa_key(const TPMT_PUBLIC *p, EVP_PKEY **out, struct tn_err *err)
{
	const TPM2B_PUBLIC_KEY_RSA *n = &p->unique.rsa;
	UINT32 exp = p->parameters.rsaDetail.exponent;
	OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
	BIGNUM *bn = BN_bin2bn(n->buffer, n->size, NULL);
	BIGNUM *be = BN_new();
	int ret = -1;

	/* Exponent 0 in a TPM public area means the default, 65537. */
	if (!bld || !bn || !be || BN_set_word(be, exp ? exp : 65537) != 1 ||
	    !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, bn) ||
	    !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, be))
		tn_fail(err, "cannot build an RSA key: %s", tpmv_openssl_error());
	else
		ret = pkey_from_params("RSA", bld, out, err);
	BN_free(bn);
	BN_free(be);
	OSSL_PARAM_BLD_free(bld);
	return ret;
}

static int ecc_key(const TPMT_PUBLIC *p, EVP_PKEY **out, struct tn_err *err)
{
	const TPMS_ECC_POINT *q = &p->unique.ecc;
	uint8_t point[1 + 2 * 32] = { 0x04 };	/* uncompressed: 04 || x || y */
	OSSL_PARAM_BLD *bld;
	int ret = -1;

	if (p->parameters.eccDetail.curveID != TPM2_ECC_NIST_P256)
		return tn_fail(err, "the TPM key's curve 0x%04x is not NIST P-256",
			       p->parameters.eccDetail.curveID);
	if (q->x.size > 32 || q->y.size > 32)
		return tn_fail(err, "the TPM key's point has coordinates longer than 32 bytes");
	/* Coordinates may come without leading zeros: right-align them. */
	memcpy(point + 1 + 32 - q->x.size, q->x.buffer, q->x.size);
	memcpy(point + 1 + 64 - q->y.size, q->y.buffer, q->y.size);
	bld = OSSL_PARAM_BLD_new();
	if (!bld ||
	    !OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME,
					     "prime256v1", 0) ||
	    !OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY,
					      point, sizeof(point)))
		tn_fail(err, "cannot build an EC key: %s", tpmv_openssl_error());
	else
		ret = pkey_from_params("EC", bld, out, err);
	OSSL_PARAM_BLD_free(bld);
	return ret;
}

int tpmv_public_key(const TPM2B_PUBLIC *pub, EVP_PKEY **out,
		    struct tn_err *err)
{
	switch (pub->publicArea.type) {
	case TPM2_ALG_RSA:
		return rsa_key(&pub->publicArea, out, err);
	case TPM2_ALG_ECC:
		return ecc_key(&pub->publicArea, out, err);
	}
	return tn_fail(err, "the TPM key's type 0x%04x is neither RSA nor ECC",
		       pub->publicArea.type);
}

#define N_RULES(a) (sizeof(a) / sizeof((a)[0]))

struct attr_rule {
	TPMA_OBJECT bit;
	int set;
	const char *name;
};

static const struct attr_rule ak_rules[] = {
	{ TPMA_OBJECT_RESTRICTED, 1, "restricted" },
	{ TPMA_OBJECT_SIGN_ENCRYPT, 1, "sign" },
	{ TPMA_OBJECT_FIXEDTPM, 1, "fixedTPM" },
	{ TPMA_OBJECT_FIXEDPARENT, 1, "fixedParent" },
	{ TPMA_OBJECT_SENSITIVEDATAORIGIN, 1, "sensitiveDataOrigin" },
	{ TPMA_OBJECT_DECRYPT, 0, "decrypt" },
};

/*
 * Template L-1 sets the first six. userWithAuth is clear so that only the
 * policy (PolicySecret on the endorsement hierarchy) authorizes the EK.
 */
static const struct attr_rule ek_rules[] = {
	{ TPMA_OBJECT_RESTRICTED, 1, "restricted" },
	{ TPMA_OBJECT_DECRYPT, 1, "decrypt" },
	{ TPMA_OBJECT_FIXEDTPM, 1, "fixedTPM" },
	{ TPMA_OBJECT_FIXEDPARENT, 1, "fixedParent" },
	{ TPMA_OBJECT_SENSITIVEDATAORIGIN, 1, "sensitiveDataOrigin" },
	{ TPMA_OBJECT_ADMINWITHPOLICY, 1, "adminWithPolicy" },
	{ TPMA_OBJECT_SIGN_ENCRYPT, 0, "sign" },
	{ TPMA_OBJECT_USERWITHAUTH, 0, "userWithAuth" },
};

static int check_attrs(TPMA_OBJECT attrs, const struct attr_rule *r, size_t n,
		       const char *what, struct tn_err *err)
{
	for (size_t i = 0; i < n; i++)
		if (!!(attrs & r[i].bit) != r[i].set)
			return tn_fail(err, "the %s must %s the %s attribute (objectAttributes 0x%08x)",
				       what, r[i].set ? "have" : "not have",
				       r[i].name, attrs);
	return 0;
}

static int check_ak_ecc(const TPMT_PUBLIC *p, struct tn_err *err)
{
	const TPMS_ECC_PARMS *e = &p->parameters.eccDetail;

	if (e->curveID != TPM2_ECC_NIST_P256)
		return tn_fail(err, "the AK's curve 0x%04x is not NIST P-256", e->curveID);
	if (e->scheme.scheme != TPM2_ALG_ECDSA ||
	    e->scheme.details.ecdsa.hashAlg != TPM2_ALG_SHA256)
		return tn_fail(err, "the AK's signing scheme is not ECDSA with SHA-256");
	if (e->symmetric.algorithm != TPM2_ALG_NULL || e->kdf.scheme != TPM2_ALG_NULL)
		return tn_fail(err, "the AK has a symmetric algorithm or KDF, which a signing key must not");
	if (p->unique.ecc.x.size != 32 || p->unique.ecc.y.size != 32)
		return tn_fail(err, "the AK's public point is not a P-256 point");
	return 0;
}

static int check_ak_rsa(const TPMT_PUBLIC *p, struct tn_err *err)
{
	const TPMS_RSA_PARMS *r = &p->parameters.rsaDetail;

	if (r->keyBits != 2048 || p->unique.rsa.size != 256)
		return tn_fail(err, "the AK is a %u-bit RSA key, not 2048-bit", r->keyBits);
	if (r->scheme.scheme != TPM2_ALG_RSASSA ||
	    r->scheme.details.rsassa.hashAlg != TPM2_ALG_SHA256)
		return tn_fail(err, "the AK's signing scheme is not RSASSA with SHA-256");
	if (r->symmetric.algorithm != TPM2_ALG_NULL)
		return tn_fail(err, "the AK has a symmetric algorithm, which a signing key must not");
	return 0;
}

int tpmv_check_ak_public(const TPM2B_PUBLIC *ak, struct tn_err *err)
{
	const TPMT_PUBLIC *p = &ak->publicArea;

	if (p->type != TPM2_ALG_ECC && p->type != TPM2_ALG_RSA)
		return tn_fail(err, "the AK's type 0x%04x is neither ECC nor RSA", p->type);
	if (p->nameAlg != TPM2_ALG_SHA256)
		return tn_fail(err, "the AK's nameAlg 0x%04x is not SHA-256", p->nameAlg);
	if (check_attrs(p->objectAttributes, ak_rules, N_RULES(ak_rules), "AK", err))
		return -1;
	return p->type == TPM2_ALG_ECC ? check_ak_ecc(p, err) : check_ak_rsa(p, err);
}

int tpmv_check_ek_public(const TPM2B_PUBLIC *ek, struct tn_err *err)
{
	const TPMT_PUBLIC *p = &ek->publicArea;
	const TPMS_RSA_PARMS *r = &p->parameters.rsaDetail;

	if (p->type != TPM2_ALG_RSA)
		return tn_fail(err, "the EK is not an RSA key (type 0x%04x): trustnode uses the RSA 2048 EK of template L-1",
			       p->type);
	if (p->nameAlg != TPM2_ALG_SHA256)
		return tn_fail(err, "the EK's nameAlg 0x%04x is not SHA-256", p->nameAlg);
	if (check_attrs(p->objectAttributes, ek_rules, N_RULES(ek_rules), "EK", err))
		return -1;
	if (p->authPolicy.size != sizeof(ek_policy_l1) ||
	    memcmp(p->authPolicy.buffer, ek_policy_l1, sizeof(ek_policy_l1)))
		return tn_fail(err, "the EK's authPolicy is not PolicySecret(endorsement) of template L-1");
	if (r->symmetric.algorithm != TPM2_ALG_AES || r->symmetric.keyBits.aes != 128 ||
	    r->symmetric.mode.aes != TPM2_ALG_CFB)
		return tn_fail(err, "the EK's symmetric algorithm is not AES-128-CFB");
	if (r->scheme.scheme != TPM2_ALG_NULL)
		return tn_fail(err, "the EK has a scheme, which template L-1 does not");
	if (r->keyBits != 2048 || p->unique.rsa.size != 256)
		return tn_fail(err, "the EK is a %u-bit RSA key, not 2048-bit", r->keyBits);
	if (r->exponent != 0 && r->exponent != 65537)
		return tn_fail(err, "the EK's RSA exponent %u is not 65537", r->exponent);
	return 0;
}


/* The signature as OpenSSL verifies it: DER ECDSA-Sig-Value or raw RSA. */
static int sig_bytes(const TPMT_PUBLIC *ak, const TPMT_SIGNATURE *s,
		     uint8_t **out, size_t *len, struct tn_err *err)
{
	const TPMS_SIGNATURE_ECC *e = &s->signature.ecdsa;
	ECDSA_SIG *es;
	BIGNUM *r, *sv;
	int n;

	if (ak->type == TPM2_ALG_RSA) {
		if (s->sigAlg != TPM2_ALG_RSASSA || s->signature.rsassa.hash != TPM2_ALG_SHA256)
			return tn_fail(err, "the quote's signature is not RSASSA-SHA256, the AK's scheme");
		*out = OPENSSL_memdup(s->signature.rsassa.sig.buffer,
				      s->signature.rsassa.sig.size);
		*len = s->signature.rsassa.sig.size;
		return *out ? 0 : tn_fail(err, "out of memory");
	}
	if (ak->type != TPM2_ALG_ECC)
		return tn_fail(err, "the AK's type 0x%04x is neither ECC nor RSA", ak->type);
	if (s->sigAlg != TPM2_ALG_ECDSA || e->hash != TPM2_ALG_SHA256)
		return tn_fail(err, "the quote's signature is not ECDSA-SHA256, the AK's scheme");
	es = ECDSA_SIG_new();
	r = BN_bin2bn(e->signatureR.buffer, e->signatureR.size, NULL);
	sv = BN_bin2bn(e->signatureS.buffer, e->signatureS.size, NULL);
	if (!es || !r || !sv || ECDSA_SIG_set0(es, r, sv) != 1) {
		BN_free(r);
		BN_free(sv);
		ECDSA_SIG_free(es);
		return tn_fail(err, "cannot convert the ECDSA signature: %s", tpmv_openssl_error());
	}
	*out = NULL;
	n = i2d_ECDSA_SIG(es, out);
	ECDSA_SIG_free(es);
	if (n <= 0)
		return tn_fail(err, "cannot encode the ECDSA signature: %s", tpmv_openssl_error());
	*len = (size_t)n;
	return 0;
}

static int verify_sig(const TPM2B_PUBLIC *ak, const uint8_t *data, size_t len,
		      const TPMT_SIGNATURE *s, struct tn_err *err)
{
	EVP_MD_CTX *mctx = NULL;
	EVP_PKEY *pkey = NULL;
	uint8_t *sig = NULL;
	size_t sig_len = 0;
	int ret = -1;

	if (sig_bytes(&ak->publicArea, s, &sig, &sig_len, err) ||
	    tpmv_public_key(ak, &pkey, err))
		goto out;
	mctx = EVP_MD_CTX_new();
	/* RSA keys default to PKCS #1 v1.5 padding, RSASSA's. */
	if (!mctx || EVP_DigestVerifyInit_ex(mctx, NULL, "SHA256", NULL, NULL,
					     pkey, NULL) != 1) {
		tn_fail(err, "cannot set up signature verification: %s", tpmv_openssl_error());
		goto out;
	}
	if (EVP_DigestVerify(mctx, sig, sig_len, data, len) != 1) {
		ERR_clear_error();
		tn_fail(err, "the quote's signature does not verify with the pinned AK");
		goto out;
	}
	ret = 0;
out:
	EVP_MD_CTX_free(mctx);
	EVP_PKEY_free(pkey);
	OPENSSL_free(sig);
	return ret;
}

int tpmv_verify_quote(const TPM2B_PUBLIC *ak, const uint8_t *attest,
		      size_t attest_len, const uint8_t *sig, size_t sig_len,
		      TPMS_ATTEST *out, struct tn_err *err)
{
	TPMT_SIGNATURE s;
	size_t off = 0;
	TSS2_RC rc;

	memset(&s, 0, sizeof(s));
	rc = Tss2_MU_TPMT_SIGNATURE_Unmarshal(sig, sig_len, &off, &s);
	if (rc)
		return tn_fail(err, "the quote's signature is not a marshalled TPMT_SIGNATURE: %s",
			       Tss2_RC_Decode(rc));
	if (off != sig_len)
		return tn_fail(err, "the quote's signature has %zu bytes after its TPMT_SIGNATURE",
			       sig_len - off);
	if (verify_sig(ak, attest, attest_len, &s, err))
		return -1;
	off = 0;
	memset(out, 0, sizeof(*out));
	rc = Tss2_MU_TPMS_ATTEST_Unmarshal(attest, attest_len, &off, out);
	if (rc)
		return tn_fail(err, "the attest structure is not a marshalled TPMS_ATTEST: %s",
			       Tss2_RC_Decode(rc));
	if (off != attest_len)
		return tn_fail(err, "the attest structure has %zu bytes after its TPMS_ATTEST",
			       attest_len - off);
	/* Only the TPM signs data starting with TPM_GENERATED_VALUE with a restricted key. */
	if (out->magic != TPM2_GENERATED_VALUE || out->type != TPM2_ST_ATTEST_QUOTE)
		return tn_fail(err, "the attest structure is not a TPM-generated quote (magic 0x%08x, type 0x%04x)",
			       out->magic, out->type);
	return 0;
}

static void format_pcrs(const unsigned *pcrs, size_t n, char *buf, size_t size)
{
	size_t len = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < n && len < size; i++)
		len += (size_t)snprintf(buf + len, size - len, "%s%u", i ? "," : "",
					pcrs[i]);
}

/* The selection bitmap of pcrs (ascending, each below 8 * TPM2_PCR_SELECT_MAX). */
static int selection_of(const unsigned *pcrs, size_t n,
			uint8_t want[TPM2_PCR_SELECT_MAX], struct tn_err *err)
{
	memset(want, 0, TPM2_PCR_SELECT_MAX);
	if (!n)
		return tn_fail(err, "no PCRs to check the quote against");
	for (size_t i = 0; i < n; i++) {
		if (pcrs[i] >= 8 * TPM2_PCR_SELECT_MAX || (i && pcrs[i] <= pcrs[i - 1]))
			return tn_fail(err, "the expected PCRs are not distinct, ascending PCR indices");
		want[pcrs[i] / 8] |= (uint8_t)(1u << (pcrs[i] % 8));
	}
	return 0;
}

int tpmv_check_pcr_digest(const TPMS_ATTEST *attest, const unsigned *pcrs,
			  const uint8_t (*values)[32], size_t n,
			  struct tn_err *err)
{
	const TPMS_QUOTE_INFO *q = &attest->attested.quote;
	const TPMS_PCR_SELECTION *sel = &q->pcrSelect.pcrSelections[0];
	uint8_t want[TPM2_PCR_SELECT_MAX], digest[SHA256_DIGEST_LENGTH];
	char list[128];

	if (attest->type != TPM2_ST_ATTEST_QUOTE)
		return tn_fail(err, "the attest structure is not a TPM-generated quote");
	if (selection_of(pcrs, n, want, err))
		return -1;
	format_pcrs(pcrs, n, list, sizeof(list));
	if (q->pcrSelect.count != 1 || sel->hash != TPM2_ALG_SHA256 ||
	    sel->sizeofSelect > TPM2_PCR_SELECT_MAX)
		return tn_fail(err, "the quote does not select the sha256 bank alone (expected sha256:%s)",
			       list);
	for (size_t i = 0; i < TPM2_PCR_SELECT_MAX; i++)
		if ((i < sel->sizeofSelect ? sel->pcrSelect[i] : 0) != want[i])
			return tn_fail(err, "the quote selects other PCRs than sha256:%s", list);
	if (EVP_Digest(values, n * 32, digest, NULL, EVP_sha256(), NULL) != 1)
		return tn_fail(err, "cannot hash the PCR values: %s", tpmv_openssl_error());
	if (q->pcrDigest.size != sizeof(digest) ||
	    memcmp(q->pcrDigest.buffer, digest, sizeof(digest)))
		return tn_fail(err, "the quoted PCR digest does not match the PCR values (sha256:%s)",
			       list);
	return 0;
}
