// SPDX-License-Identifier: GPL-2.0-only
/*
 * The EK certificate: its key is the EK's, and it chains to the CAs the
 * operator trusts (TCG EK Credential Profile 2.0).
 */
#include <string.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>
#include "tpm_verify.h"

/*
 * OpenSSL refuses a certificate with a critical extension it does not
 * implement. The TCG EK Credential Profile puts the TPM's specification and
 * security assertions in subjectDirectoryAttributes (2.5.29.9), which
 * OpenSSL 3.0 does not implement, and some manufacturers mark it critical.
 * Rather than X509_V_FLAG_IGNORE_CRITICAL (which would accept anything),
 * the EK certificate itself (depth 0) may carry that one extension
 * critical; any other unknown critical extension still fails. swtpm's own
 * certificates need none of this: their critical extensions (subjectAltName,
 * basicConstraints, keyUsage) are all ones OpenSSL handles.
 */
static int tcg_critical_ok(X509_EXTENSION *ex)
{
	return OBJ_obj2nid(X509_EXTENSION_get_object(ex)) ==
	       NID_subject_directory_attributes;
}

static int ek_verify_cb(int ok, X509_STORE_CTX *ctx)
{
	X509 *x;

	if (ok || X509_STORE_CTX_get_error(ctx) != X509_V_ERR_UNHANDLED_CRITICAL_EXTENSION ||
	    X509_STORE_CTX_get_error_depth(ctx) != 0)
		return ok;
	x = X509_STORE_CTX_get_current_cert(ctx);
	for (int i = 0; i < X509_get_ext_count(x); i++) {
		X509_EXTENSION *ex = X509_get_ext(x, i);

		if (X509_EXTENSION_get_critical(ex) && !X509_supported_extension(ex) &&
		    !tcg_critical_ok(ex))
			return 0;
	}
	X509_STORE_CTX_set_error(ctx, X509_V_OK);
	return 1;
}

static int verify_chain(X509 *cert, const char *const *ca_files, size_t n_ca,
			struct tn_err *err)
{
	X509_STORE *store = X509_STORE_new();
	X509_STORE_CTX *ctx = X509_STORE_CTX_new();
	int ret = -1;

	if (!store || !ctx) {
		tn_fail(err, "out of memory");
		goto out;
	}
	if (!n_ca) {
		tn_fail(err, "no CA certificates to verify the EK certificate with");
		goto out;
	}
	for (size_t i = 0; i < n_ca; i++)
		if (X509_STORE_load_file(store, ca_files[i]) != 1) {
			tn_fail(err, "cannot read CA certificates from %s: %s",
				ca_files[i], tpmv_openssl_error());
			goto out;
		}
	if (X509_STORE_CTX_init(ctx, store, cert, NULL) != 1) {
		tn_fail(err, "cannot set up EK certificate verification: %s", tpmv_openssl_error());
		goto out;
	}
	X509_STORE_CTX_set_verify_cb(ctx, ek_verify_cb);
	if (X509_verify_cert(ctx) != 1) {
		tn_fail(err, "the EK certificate does not chain to the given CA certificates: %s (at depth %d)",
			X509_verify_cert_error_string(X509_STORE_CTX_get_error(ctx)),
			X509_STORE_CTX_get_error_depth(ctx));
		ERR_clear_error();
		goto out;
	}
	ret = 0;
out:
	X509_STORE_CTX_free(ctx);
	X509_STORE_free(store);
	return ret;
}

int tpmv_check_ek_certificate(const uint8_t *der, size_t der_len,
			      const TPM2B_PUBLIC *ek,
			      const char *const *ca_files, size_t n_ca,
			      struct tn_err *err)
{
	const unsigned char *p = der;
	X509 *cert = d2i_X509(NULL, &p, (long)der_len);
	EVP_PKEY *ek_key = NULL;
	int ret = -1;

	if (!cert)
		return tn_fail(err, "the EK certificate is not a DER X.509 certificate: %s",
			       tpmv_openssl_error());
	/* Some TPMs' NV indices are larger than the certificate: allow padding. */
	for (; p < der + der_len; p++)
		if (*p != 0x00 && *p != 0xff) {
			tn_fail(err, "the EK certificate has %zu bytes after its DER that are not padding",
				(size_t)(der + der_len - p));
			goto out;
		}
	if (tpmv_public_key(ek, &ek_key, err))
		goto out;
	/* For RSA, EVP_PKEY_eq compares modulus and exponent. */
	if (EVP_PKEY_eq(X509_get0_pubkey(cert), ek_key) != 1) {
		ERR_clear_error();
		tn_fail(err, "the EK certificate's public key is not the EK's");
		goto out;
	}
	ret = verify_chain(cert, ca_files, n_ca, err);
out:
	EVP_PKEY_free(ek_key);
	X509_free(cert);
	return ret;
}
