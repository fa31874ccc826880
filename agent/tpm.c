// SPDX-License-Identifier: GPL-2.0-only
#include <stdlib.h>
#include <string.h>
#include <tss2/tss2_esys.h>
#include <tss2/tss2_mu.h>
#include <tss2/tss2_rc.h>
#include <tss2/tss2_tctildr.h>
#include "attest_wire.h"
#include "hex.h"
#include "tpm.h"
#include "trustnode/attest_api.h"

struct tn_tpm {
	TSS2_TCTI_CONTEXT *tcti;
	ESYS_CONTEXT *esys;
	ESYS_TR ak;			/* the persistent AK (metadata only) */
	TPM2B_PUBLIC ek_public;
	TPM2B_PUBLIC ak_public;
	TPM2B_NAME ak_name;
	uint8_t *ek_cert;
	size_t ek_cert_len;
};

static int tss_fail(struct tn_err *err, TSS2_RC rc, const char *what)
{
	return tn_fail(err, "TPM: %s failed: %s", what, Tss2_RC_Decode(rc));
}

/* Flushes a transient object or session; ESYS_TR_NONE is a no-op. */
static void flush(struct tn_tpm *t, ESYS_TR *h)
{
	if (*h != ESYS_TR_NONE)
		Esys_FlushContext(t->esys, *h);
	*h = ESYS_TR_NONE;
}

/* The TCG EK credential profile's RSA 2048 template (L-1). */
static void ek_template(TPM2B_PUBLIC *p)
{
	memset(p, 0, sizeof(*p));
	p->publicArea.type = TPM2_ALG_RSA;
	p->publicArea.nameAlg = TPM2_ALG_SHA256;
	p->publicArea.objectAttributes = TPMA_OBJECT_FIXEDTPM |
		TPMA_OBJECT_FIXEDPARENT | TPMA_OBJECT_SENSITIVEDATAORIGIN |
		TPMA_OBJECT_ADMINWITHPOLICY | TPMA_OBJECT_RESTRICTED |
		TPMA_OBJECT_DECRYPT;
	p->publicArea.authPolicy.size = 32;
	memcpy(p->publicArea.authPolicy.buffer, tn_ek_policy_secret_endorsement, 32);
	p->publicArea.parameters.rsaDetail.symmetric.algorithm = TPM2_ALG_AES;
	p->publicArea.parameters.rsaDetail.symmetric.keyBits.aes = 128;
	p->publicArea.parameters.rsaDetail.symmetric.mode.aes = TPM2_ALG_CFB;
	p->publicArea.parameters.rsaDetail.scheme.scheme = TPM2_ALG_NULL;
	p->publicArea.parameters.rsaDetail.keyBits = 2048;
	p->publicArea.unique.rsa.size = 256;
}

/* A restricted signing key: what may sign quotes. */
static void ak_template(TPM2B_PUBLIC *p, int ecc)
{
	memset(p, 0, sizeof(*p));
	p->publicArea.nameAlg = TPM2_ALG_SHA256;
	p->publicArea.objectAttributes = TPMA_OBJECT_FIXEDTPM |
		TPMA_OBJECT_FIXEDPARENT | TPMA_OBJECT_SENSITIVEDATAORIGIN |
		TPMA_OBJECT_USERWITHAUTH | TPMA_OBJECT_RESTRICTED |
		TPMA_OBJECT_SIGN_ENCRYPT;
	if (ecc) {
		p->publicArea.type = TPM2_ALG_ECC;
		p->publicArea.parameters.eccDetail.symmetric.algorithm = TPM2_ALG_NULL;
		p->publicArea.parameters.eccDetail.scheme.scheme = TPM2_ALG_ECDSA;
		p->publicArea.parameters.eccDetail.scheme.details.ecdsa.hashAlg =
			TPM2_ALG_SHA256;
		p->publicArea.parameters.eccDetail.curveID = TPM2_ECC_NIST_P256;
		p->publicArea.parameters.eccDetail.kdf.scheme = TPM2_ALG_NULL;
	} else {
		p->publicArea.type = TPM2_ALG_RSA;
		p->publicArea.parameters.rsaDetail.symmetric.algorithm = TPM2_ALG_NULL;
		p->publicArea.parameters.rsaDetail.scheme.scheme = TPM2_ALG_RSASSA;
		p->publicArea.parameters.rsaDetail.scheme.details.rsassa.hashAlg =
			TPM2_ALG_SHA256;
		p->publicArea.parameters.rsaDetail.keyBits = 2048;
	}
}

static int create_ek(struct tn_tpm *t, ESYS_TR *ek, struct tn_err *err)
{
	TPM2B_SENSITIVE_CREATE sens = { 0 };
	TPM2B_DATA outside = { 0 };
	TPML_PCR_SELECTION no_pcrs = { 0 };
	TPM2B_PUBLIC tmpl, *pub = NULL;
	TSS2_RC rc;

	ek_template(&tmpl);
	rc = Esys_CreatePrimary(t->esys, ESYS_TR_RH_ENDORSEMENT, ESYS_TR_PASSWORD,
				ESYS_TR_NONE, ESYS_TR_NONE, &sens, &tmpl,
				&outside, &no_pcrs, ek, &pub, NULL, NULL, NULL);
	if (rc != TSS2_RC_SUCCESS)
		return tss_fail(err, rc, "creating the endorsement key");
	t->ek_public = *pub;
	Esys_Free(pub);
	return 0;
}

/* A policy session satisfying the EK's PolicySecret(endorsement). */
static int ek_session(struct tn_tpm *t, ESYS_TR *s, struct tn_err *err)
{
	TPMT_SYM_DEF sym = { .algorithm = TPM2_ALG_NULL };
	TSS2_RC rc;

	rc = Esys_StartAuthSession(t->esys, ESYS_TR_NONE, ESYS_TR_NONE,
				   ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE,
				   NULL, TPM2_SE_POLICY, &sym, TPM2_ALG_SHA256, s);
	if (rc != TSS2_RC_SUCCESS)
		return tss_fail(err, rc, "starting a policy session");
	/* Kept after use so that flush() is right on every path. */
	Esys_TRSess_SetAttributes(t->esys, *s, TPMA_SESSION_CONTINUESESSION,
				  0xff);
	rc = Esys_PolicySecret(t->esys, ESYS_TR_RH_ENDORSEMENT, *s,
			       ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE,
			       NULL, NULL, NULL, 0, NULL, NULL);
	if (rc != TSS2_RC_SUCCESS) {
		flush(t, s);
		return tss_fail(err, rc, "PolicySecret(endorsement)");
	}
	return 0;
}

static int has_p256(struct tn_tpm *t)
{
	TPMS_CAPABILITY_DATA *cap = NULL;
	TPMI_YES_NO more;
	int found = 0;

	if (Esys_GetCapability(t->esys, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE,
			       TPM2_CAP_ECC_CURVES, 0, 64, &more, &cap) !=
	    TSS2_RC_SUCCESS)
		return 0;
	for (UINT32 i = 0; i < cap->data.eccCurves.count; i++)
		found |= cap->data.eccCurves.eccCurves[i] == TPM2_ECC_NIST_P256;
	Esys_Free(cap);
	return found;
}

/* Creates the AK under the EK and persists it at handle. */
static int create_ak(struct tn_tpm *t, uint32_t handle, struct tn_err *err)
{
	TPM2B_SENSITIVE_CREATE sens = { 0 };
	TPM2B_DATA outside = { 0 };
	TPML_PCR_SELECTION no_pcrs = { 0 };
	TPM2B_PUBLIC tmpl, *pub = NULL;
	TPM2B_PRIVATE *priv = NULL;
	ESYS_TR ek = ESYS_TR_NONE, s = ESYS_TR_NONE, ak = ESYS_TR_NONE;
	ESYS_TR persistent;
	TSS2_RC rc;
	int ret = -1;

	ak_template(&tmpl, has_p256(t));
	if (create_ek(t, &ek, err) || ek_session(t, &s, err))
		goto out;
	rc = Esys_Create(t->esys, ek, s, ESYS_TR_NONE, ESYS_TR_NONE, &sens,
			 &tmpl, &outside, &no_pcrs, &priv, &pub, NULL, NULL,
			 NULL);
	flush(t, &s);
	if (rc != TSS2_RC_SUCCESS) {
		tss_fail(err, rc, "creating the attestation key");
		goto out;
	}
	if (ek_session(t, &s, err))
		goto out;
	rc = Esys_Load(t->esys, ek, s, ESYS_TR_NONE, ESYS_TR_NONE, priv, pub, &ak);
	flush(t, &s);
	if (rc != TSS2_RC_SUCCESS) {
		tss_fail(err, rc, "loading the attestation key");
		goto out;
	}
	rc = Esys_EvictControl(t->esys, ESYS_TR_RH_OWNER, ak, ESYS_TR_PASSWORD,
			       ESYS_TR_NONE, ESYS_TR_NONE, handle, &persistent);
	if (rc != TSS2_RC_SUCCESS) {
		tn_fail(err, "TPM: persisting the attestation key at 0x%08x failed: %s",
			handle, Tss2_RC_Decode(rc));
		goto out;
	}
	Esys_TR_Close(t->esys, &persistent);
	ret = 0;
out:
	flush(t, &ak);
	flush(t, &s);
	flush(t, &ek);
	Esys_Free(pub);
	Esys_Free(priv);
	return ret;
}

static int read_ak(struct tn_tpm *t, uint32_t handle, struct tn_err *err)
{
	TPM2B_PUBLIC *pub = NULL;
	TPM2B_NAME *name = NULL;
	TSS2_RC rc;

	rc = Esys_TR_FromTPMPublic(t->esys, handle, ESYS_TR_NONE, ESYS_TR_NONE,
				   ESYS_TR_NONE, &t->ak);
	if (rc != TSS2_RC_SUCCESS)
		return 1;	/* not there yet */
	rc = Esys_ReadPublic(t->esys, t->ak, ESYS_TR_NONE, ESYS_TR_NONE,
			     ESYS_TR_NONE, &pub, &name, NULL);
	if (rc != TSS2_RC_SUCCESS)
		return tss_fail(err, rc, "reading the attestation key");
	t->ak_public = *pub;
	t->ak_name = *name;
	Esys_Free(pub);
	Esys_Free(name);
	return 0;
}

/* Reads an NV index whole (the EK certificate); 1 when it does not exist. */
static int nv_read_all(struct tn_tpm *t, uint32_t index, uint8_t **out,
		       size_t *len, struct tn_err *err)
{
	TPM2B_NV_PUBLIC *nvpub = NULL;
	ESYS_TR nv;
	uint16_t size, off = 0;
	TSS2_RC rc;

	if (Esys_TR_FromTPMPublic(t->esys, index, ESYS_TR_NONE, ESYS_TR_NONE,
				  ESYS_TR_NONE, &nv) != TSS2_RC_SUCCESS)
		return 1;
	rc = Esys_NV_ReadPublic(t->esys, nv, ESYS_TR_NONE, ESYS_TR_NONE,
				ESYS_TR_NONE, &nvpub, NULL);
	if (rc != TSS2_RC_SUCCESS) {
		Esys_TR_Close(t->esys, &nv);
		return tss_fail(err, rc, "reading the EK certificate's NV index");
	}
	size = nvpub->nvPublic.dataSize;
	Esys_Free(nvpub);
	*out = malloc(size ? size : 1);
	if (!*out) {
		Esys_TR_Close(t->esys, &nv);
		return tn_fail(err, "out of memory");
	}
	while (off < size) {
		uint16_t chunk = size - off > 512 ? 512 : size - off;
		TPM2B_MAX_NV_BUFFER *data = NULL;

		rc = Esys_NV_Read(t->esys, nv, nv, ESYS_TR_PASSWORD, ESYS_TR_NONE,
				  ESYS_TR_NONE, chunk, off, &data);
		if (rc != TSS2_RC_SUCCESS) {
			free(*out);
			*out = NULL;
			Esys_TR_Close(t->esys, &nv);
			return tss_fail(err, rc, "reading the EK certificate");
		}
		memcpy(*out + off, data->buffer, data->size);
		off += data->size;
		Esys_Free(data);
	}
	Esys_TR_Close(t->esys, &nv);
	*len = size;
	return 0;
}

int tpm_open(const char *tcti, uint32_t ak_handle, const char *known_ak_name,
	     struct tn_tpm **out, struct tn_err *err)
{
	struct tn_tpm *t = calloc(1, sizeof(*t));
	ESYS_TR ek = ESYS_TR_NONE;
	TSS2_RC rc;
	int r;

	if (!t)
		return tn_fail(err, "out of memory");
	t->ak = ESYS_TR_NONE;
	rc = Tss2_TctiLdr_Initialize(tcti, &t->tcti);
	if (rc != TSS2_RC_SUCCESS) {
		tn_fail(err, "TPM: cannot open TCTI \"%s\": %s", tcti,
			Tss2_RC_Decode(rc));
		goto fail;
	}
	rc = Esys_Initialize(&t->esys, t->tcti, NULL);
	if (rc != TSS2_RC_SUCCESS) {
		tss_fail(err, rc, "initialising ESAPI");
		goto fail;
	}
	rc = Esys_Startup(t->esys, TPM2_SU_CLEAR);
	if (rc != TSS2_RC_SUCCESS && rc != TPM2_RC_INITIALIZE) {
		tss_fail(err, rc, "TPM2_Startup");
		goto fail;
	}
	/* The EK public part is deterministic; make it once and flush it. */
	if (create_ek(t, &ek, err))
		goto fail;
	flush(t, &ek);
	r = read_ak(t, ak_handle, err);
	if (r < 0)
		goto fail;
	if (r > 0) {
		if (known_ak_name) {
			tn_fail(err, "TPM: the attestation key %s is gone from handle 0x%08x (TPM cleared?); peers enrolled it, so it is not silently replaced: remove %s to create a new one and re-enroll",
				known_ak_name, ak_handle, "tpm.json");
			goto fail;
		}
		if (create_ak(t, ak_handle, err) || read_ak(t, ak_handle, err))
			goto fail;
	}
	if (known_ak_name) {
		char hex[2 * sizeof(t->ak_name.name) + 1];

		tn_hex_encode(t->ak_name.name, t->ak_name.size, hex);
		if (strcmp(hex, known_ak_name)) {
			tn_fail(err, "TPM: handle 0x%08x holds key %s, not this node's attestation key %s",
				ak_handle, hex, known_ak_name);
			goto fail;
		}
	}
	r = nv_read_all(t, TN_EK_CERT_NV_RSA, &t->ek_cert, &t->ek_cert_len, err);
	if (r < 0)
		goto fail;
	*out = t;
	return 0;
fail:
	tpm_close(t);
	return -1;
}

void tpm_close(struct tn_tpm *t)
{
	if (!t)
		return;
	if (t->esys) {
		if (t->ak != ESYS_TR_NONE)
			Esys_TR_Close(t->esys, &t->ak);
		Esys_Finalize(&t->esys);
	}
	if (t->tcti)
		Tss2_TctiLdr_Finalize(&t->tcti);
	free(t->ek_cert);
	free(t);
}

const TPM2B_PUBLIC *tpm_ek_public(const struct tn_tpm *t)
{
	return &t->ek_public;
}

const TPM2B_PUBLIC *tpm_ak_public(const struct tn_tpm *t)
{
	return &t->ak_public;
}

const TPM2B_NAME *tpm_ak_name(const struct tn_tpm *t)
{
	return &t->ak_name;
}

const uint8_t *tpm_ek_cert(const struct tn_tpm *t, size_t *len)
{
	*len = t->ek_cert_len;
	return t->ek_cert;
}

const char *tpm_ak_kind(const struct tn_tpm *t)
{
	return t->ak_public.publicArea.type == TPM2_ALG_ECC ? "ecc-p256" :
							       "rsa-2048";
}

static void select_pcrs(TPML_PCR_SELECTION *sel, const unsigned *pcrs,
			size_t n)
{
	memset(sel, 0, sizeof(*sel));
	sel->count = 1;
	sel->pcrSelections[0].hash = TPM2_ALG_SHA256;
	sel->pcrSelections[0].sizeofSelect = 3;
	for (size_t i = 0; i < n; i++)
		sel->pcrSelections[0].pcrSelect[pcrs[i] / 8] |= 1u << (pcrs[i] % 8);
}

int tpm_quote(struct tn_tpm *t, const uint8_t *qualifying, size_t qlen,
	      const unsigned *pcrs, size_t npcrs, uint8_t **attest,
	      size_t *attest_len, uint8_t **sig, size_t *sig_len,
	      struct tn_err *err)
{
	TPMT_SIG_SCHEME scheme = { .scheme = TPM2_ALG_NULL };
	TPML_PCR_SELECTION sel;
	TPM2B_DATA qual = { 0 };
	TPM2B_ATTEST *quoted = NULL;
	TPMT_SIGNATURE *signature = NULL;
	uint8_t buf[sizeof(TPMT_SIGNATURE)];
	size_t off = 0;
	TSS2_RC rc;

	if (qlen > sizeof(qual.buffer))
		return tn_fail(err, "qualifying data too long");
	qual.size = qlen;
	memcpy(qual.buffer, qualifying, qlen);
	select_pcrs(&sel, pcrs, npcrs);
	rc = Esys_Quote(t->esys, t->ak, ESYS_TR_PASSWORD, ESYS_TR_NONE,
			ESYS_TR_NONE, &qual, &scheme, &sel, &quoted, &signature);
	if (rc != TSS2_RC_SUCCESS)
		return tss_fail(err, rc, "TPM2_Quote");
	rc = Tss2_MU_TPMT_SIGNATURE_Marshal(signature, buf, sizeof(buf), &off);
	*attest = malloc(quoted->size);
	*sig = malloc(off ? off : 1);
	if (rc != TSS2_RC_SUCCESS || !*attest || !*sig) {
		free(*attest);
		free(*sig);
		Esys_Free(quoted);
		Esys_Free(signature);
		return tn_fail(err, "cannot marshal the quote's signature");
	}
	memcpy(*attest, quoted->attestationData, quoted->size);
	*attest_len = quoted->size;
	memcpy(*sig, buf, off);
	*sig_len = off;
	Esys_Free(quoted);
	Esys_Free(signature);
	return 0;
}

int tpm_pcr_read(struct tn_tpm *t, unsigned pcr, uint8_t value[32],
		 struct tn_err *err)
{
	TPML_PCR_SELECTION sel, *sel_out = NULL;
	TPML_DIGEST *values = NULL;
	UINT32 counter;
	TSS2_RC rc;

	select_pcrs(&sel, &pcr, 1);
	rc = Esys_PCR_Read(t->esys, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE,
			   &sel, &counter, &sel_out, &values);
	if (rc != TSS2_RC_SUCCESS)
		return tss_fail(err, rc, "TPM2_PCR_Read");
	if (values->count != 1 || values->digests[0].size != 32) {
		Esys_Free(sel_out);
		Esys_Free(values);
		return tn_fail(err, "TPM: PCR %u has no SHA-256 bank", pcr);
	}
	memcpy(value, values->digests[0].buffer, 32);
	Esys_Free(sel_out);
	Esys_Free(values);
	return 0;
}

int tpm_pcr_extend(struct tn_tpm *t, unsigned pcr, const uint8_t digest[32],
		   struct tn_err *err)
{
	TPML_DIGEST_VALUES d = { .count = 1 };
	TSS2_RC rc;

	if (pcr > 23)
		return tn_fail(err, "PCR %u does not exist", pcr);
	d.digests[0].hashAlg = TPM2_ALG_SHA256;
	memcpy(d.digests[0].digest.sha256, digest, 32);
	rc = Esys_PCR_Extend(t->esys, ESYS_TR_PCR0 + pcr, ESYS_TR_PASSWORD,
			     ESYS_TR_NONE, ESYS_TR_NONE, &d);
	if (rc != TSS2_RC_SUCCESS)
		return tss_fail(err, rc, "TPM2_PCR_Extend");
	return 0;
}

int tpm_reset_count(struct tn_tpm *t, uint32_t *count, struct tn_err *err)
{
	TPMS_TIME_INFO *ti = NULL;
	TSS2_RC rc;

	rc = Esys_ReadClock(t->esys, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE,
			    &ti);
	if (rc != TSS2_RC_SUCCESS)
		return tss_fail(err, rc, "TPM2_ReadClock");
	*count = ti->clockInfo.resetCount;
	Esys_Free(ti);
	return 0;
}

int tpm_activate(struct tn_tpm *t, const TPM2B_ID_OBJECT *id_object,
		 const TPM2B_ENCRYPTED_SECRET *encrypted_secret,
		 uint8_t *secret, size_t *secret_len, struct tn_err *err)
{
	ESYS_TR ek = ESYS_TR_NONE, s = ESYS_TR_NONE;
	TPM2B_DIGEST *cred = NULL;
	TSS2_RC rc;
	int ret = -1;

	if (create_ek(t, &ek, err) || ek_session(t, &s, err))
		goto out;
	rc = Esys_ActivateCredential(t->esys, t->ak, ek, ESYS_TR_PASSWORD, s,
				     ESYS_TR_NONE, id_object, encrypted_secret,
				     &cred);
	if (rc != TSS2_RC_SUCCESS) {
		tn_fail(err, "TPM2_ActivateCredential refused the challenge (it was not made for this TPM's EK and AK): %s",
			Tss2_RC_Decode(rc));
		goto out;
	}
	memcpy(secret, cred->buffer, cred->size);
	*secret_len = cred->size;
	Esys_Free(cred);
	ret = 0;
out:
	flush(t, &s);
	flush(t, &ek);
	return ret;
}
