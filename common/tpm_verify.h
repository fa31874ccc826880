/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The verifier's side of TPM attestation, in software: no TPM needed.
 * Checks what a node presents (AK and EK publics, EK certificate, quotes)
 * and makes enrolment challenges (TPM2_MakeCredential) for its EK.
 * TPM structures go through libtss2-mu, keys and certificates through
 * OpenSSL 3. Every function follows common/err.h: 0, or -1 and a sentence.
 */
#ifndef TN_TPM_VERIFY_H
#define TN_TPM_VERIFY_H

#include <stddef.h>
#include <stdint.h>
#include <openssl/types.h>
#include <tss2/tss2_tpm2_types.h>
#include "err.h"

/* Unmarshals a hex TPM2B_PUBLIC (the whole TPM2B, size included). */
int tpmv_public_from_hex(const char *hex, TPM2B_PUBLIC *out, const char *what,
			 struct tn_err *err);

/* TPM name: nameAlg (2 bytes BE) || H_nameAlg(marshalled TPMT_PUBLIC). */
int tpmv_public_name(const TPM2B_PUBLIC *pub, TPM2B_NAME *name,
		     struct tn_err *err);

/* The public key of an RSA or ECC (P-256) TPM key, as an OpenSSL key. */
int tpmv_public_key(const TPM2B_PUBLIC *pub, EVP_PKEY **out,
		    struct tn_err *err);

/*
 * An attestation key: restricted, sign, fixedTPM, fixedParent,
 * sensitiveDataOrigin, not decrypt; ECC P-256 with ECDSA-SHA256 or
 * RSA-2048 with RSASSA-SHA256; nameAlg SHA-256. The error names the
 * failing property.
 */
int tpmv_check_ak_public(const TPM2B_PUBLIC *ak, struct tn_err *err);

/*
 * The TCG RSA-2048 EK of template L-1: restricted, decrypt, fixedTPM,
 * fixedParent, sensitiveDataOrigin, adminWithPolicy, neither sign nor
 * userWithAuth; authPolicy PolicySecret(endorsement); AES-128-CFB; no
 * scheme; nameAlg SHA-256; exponent 65537.
 */
int tpmv_check_ek_public(const TPM2B_PUBLIC *ek, struct tn_err *err);

/*
 * Software TPM2_MakeCredential for an RSA EK (SHA-256 nameAlg, AES-128-CFB):
 * secret (1..32 bytes) can only be recovered by TPM2_ActivateCredential on
 * the TPM holding ek, for a loaded object whose name is ak_name. A random
 * seed is RSA-OAEP encrypted to the EK (encrypted_secret); keys derived
 * from it with KDFa encrypt the secret and MAC it with ak_name (id_object).
 */
int tpmv_make_credential(const TPM2B_PUBLIC *ek, const TPM2B_NAME *ak_name,
			 const uint8_t *secret, size_t secret_len,
			 TPM2B_ID_OBJECT *id_object,
			 TPM2B_ENCRYPTED_SECRET *encrypted_secret,
			 struct tn_err *err);

/*
 * Verifies sig (marshalled TPMT_SIGNATURE) over attest (marshalled
 * TPMS_ATTEST, the exact signed bytes) with the AK, then unmarshals attest
 * into out and checks it is a TPM-generated quote.
 */
int tpmv_verify_quote(const TPM2B_PUBLIC *ak, const uint8_t *attest,
		      size_t attest_len, const uint8_t *sig, size_t sig_len,
		      TPMS_ATTEST *out, struct tn_err *err);

/*
 * Checks the quote selects exactly pcrs (ascending) in the sha256 bank and
 * that its pcrDigest is SHA-256 of values[0] || ... || values[n-1], where
 * values[i] is the value of PCR pcrs[i].
 */
int tpmv_check_pcr_digest(const TPMS_ATTEST *attest, const unsigned *pcrs,
			  const uint8_t (*values)[32], size_t n,
			  struct tn_err *err);

/*
 * Checks an EK certificate (DER): its key is ek's, and it chains to the
 * certificates in the PEM files ca_files (roots and intermediates, all
 * trusted; the chain must end at a self-signed one).
 */
int tpmv_check_ek_certificate(const uint8_t *der, size_t der_len,
			      const TPM2B_PUBLIC *ek,
			      const char *const *ca_files, size_t n_ca,
			      struct tn_err *err);

/* Internal to common/tpm_*.c: OpenSSL's reason for the last failure, emptying its error queue. */
const char *tpmv_openssl_error(void);

#endif
