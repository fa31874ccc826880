/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The agent's TPM, through tpm2-tss ESAPI: the EK (TCG RSA 2048 template,
 * re-created on demand), the attestation key (persisted, so restarts reuse
 * it), quotes, PCR reads and extends, credential activation.
 *
 * The TPM may have no resource manager (swtpm over a socket, /dev/tpm0):
 * every transient object and session made here is flushed before the
 * function returns, on every path, so the agent can run for weeks.
 */
#ifndef TN_AGENT_TPM_H
#define TN_AGENT_TPM_H

#include <stddef.h>
#include <stdint.h>
#include <tss2/tss2_tpm2_types.h>
#include "err.h"

struct tn_tpm;

/*
 * Connects through TCTI string tcti, makes sure the AK exists at persistent
 * handle ak_handle (creating it under the EK the first time) and that it is
 * the one named in known_ak_name when that is given (hex; NULL on first run).
 */
int tpm_open(const char *tcti, uint32_t ak_handle, const char *known_ak_name,
	     struct tn_tpm **out, struct tn_err *err);
void tpm_close(struct tn_tpm *t);

const TPM2B_PUBLIC *tpm_ek_public(const struct tn_tpm *t);
const TPM2B_PUBLIC *tpm_ak_public(const struct tn_tpm *t);
const TPM2B_NAME *tpm_ak_name(const struct tn_tpm *t);
/* The EK certificate (DER) from its NV index, or NULL/0 when there is none. */
const uint8_t *tpm_ek_cert(const struct tn_tpm *t, size_t *len);
/* "ecc-p256" or "rsa-2048". */
const char *tpm_ak_kind(const struct tn_tpm *t);

/* Quote over the sha256 bank's pcrs (ascending); both outputs malloc'd. */
int tpm_quote(struct tn_tpm *t, const uint8_t *qualifying, size_t qlen,
	      const unsigned *pcrs, size_t npcrs, uint8_t **attest,
	      size_t *attest_len, uint8_t **sig, size_t *sig_len,
	      struct tn_err *err);
int tpm_pcr_read(struct tn_tpm *t, unsigned pcr, uint8_t value[32],
		 struct tn_err *err);
int tpm_pcr_extend(struct tn_tpm *t, unsigned pcr, const uint8_t digest[32],
		   struct tn_err *err);
/* The TPM's reset count: changes at every TPM reset (boot). */
int tpm_reset_count(struct tn_tpm *t, uint32_t *count, struct tn_err *err);
/* TPM2_ActivateCredential with the AK and the EK; secret holds 64 bytes. */
int tpm_activate(struct tn_tpm *t, const TPM2B_ID_OBJECT *id_object,
		 const TPM2B_ENCRYPTED_SECRET *encrypted_secret,
		 uint8_t *secret, size_t *secret_len, struct tn_err *err);

#endif
