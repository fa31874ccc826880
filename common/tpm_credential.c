// SPDX-License-Identifier: GPL-2.0-only
/*
 * Software TPM2_MakeCredential: the enrolment challenge that only the TPM
 * holding a given EK can answer, for a given AK. References: TPM 2.0
 * Library Part 1 (11.4.10.2 KDFa, 24 "Credential Protection", B.10.3 RSA
 * secret sharing).
 */
#include <string.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>
#include <openssl/kdf.h>
#include <openssl/core_names.h>
#include <openssl/params.h>
#include <openssl/sha.h>
#include <tss2/tss2_mu.h>
#include "tpm_verify.h"

/*
 * KDFa(SHA-256, key, label, contextU, empty, 8 * outlen). KDFa is SP 800-108
 * counter mode with HMAC, which is OpenSSL's KBKDF: by default it writes the
 * 0x00 after the label and [L]32 after the context, as KDFa does.
 */
static int kdfa_sha256(const uint8_t *key, size_t keylen, const char *label,
		       const uint8_t *ctx_u, size_t ctx_u_len,
		       uint8_t *out, size_t outlen, struct tn_err *err)
{
	EVP_KDF *kdf = EVP_KDF_fetch(NULL, "KBKDF", NULL);
	EVP_KDF_CTX *kctx = kdf ? EVP_KDF_CTX_new(kdf) : NULL;
	OSSL_PARAM params[7], *p = params;
	int ret = -1;

	*p++ = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_MODE, (char *)"counter", 0);
	*p++ = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_MAC, (char *)"HMAC", 0);
	*p++ = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, (char *)"SHA256", 0);
	*p++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, (void *)key, keylen);
	*p++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, (void *)label,
						 strlen(label));
	if (ctx_u_len)
		*p++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO,
							 (void *)ctx_u, ctx_u_len);
	*p = OSSL_PARAM_construct_end();
	if (kctx && EVP_KDF_derive(kctx, out, outlen, params) == 1)
		ret = 0;
	else
		tn_fail(err, "KDFa(\"%s\") failed: %s", label, tpmv_openssl_error());
	EVP_KDF_CTX_free(kctx);
	EVP_KDF_free(kdf);
	return ret;
}

/* The seed, RSA-OAEP(SHA-256) encrypted to the EK with label "IDENTITY\0". */
static int encrypt_seed(const TPM2B_PUBLIC *ek, const uint8_t *seed,
			size_t seed_len, TPM2B_ENCRYPTED_SECRET *out,
			struct tn_err *err)
{
	static const char label[] = "IDENTITY";
	EVP_PKEY_CTX *ctx = NULL;
	EVP_PKEY *pkey;
	void *l = NULL;
	size_t outlen = sizeof(out->secret);
	int ret = -1;

	if (tpmv_public_key(ek, &pkey, err))
		return -1;
	ctx = EVP_PKEY_CTX_new_from_pkey(NULL, pkey, NULL);
	if (!ctx || EVP_PKEY_encrypt_init(ctx) != 1 ||
	    EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_OAEP_PADDING) != 1 ||
	    EVP_PKEY_CTX_set_rsa_oaep_md(ctx, EVP_sha256()) != 1 ||
	    EVP_PKEY_CTX_set_rsa_mgf1_md(ctx, EVP_sha256()) != 1)
		goto fail;
	/* The label includes its NUL; the context takes ownership of l. */
	l = OPENSSL_memdup(label, sizeof(label));
	if (!l || EVP_PKEY_CTX_set0_rsa_oaep_label(ctx, l, sizeof(label)) != 1) {
		OPENSSL_free(l);
		goto fail;
	}
	if (EVP_PKEY_encrypt(ctx, out->secret, &outlen, seed, seed_len) != 1)
		goto fail;
	out->size = (UINT16)outlen;
	ret = 0;
fail:
	if (ret)
		tn_fail(err, "cannot encrypt the credential seed to the EK: %s",
			tpmv_openssl_error());
	EVP_PKEY_CTX_free(ctx);
	EVP_PKEY_free(pkey);
	return ret;
}

static int aes128_cfb(const uint8_t *key, const uint8_t *in, size_t len,
		      uint8_t *out, struct tn_err *err)
{
	static const uint8_t iv[16];	/* credential protection uses a zero IV */
	EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
	int n = 0, fin = 0, ret = -1;

	if (ctx && EVP_EncryptInit_ex2(ctx, EVP_aes_128_cfb128(), key, iv, NULL) == 1 &&
	    EVP_EncryptUpdate(ctx, out, &n, in, (int)len) == 1 &&
	    EVP_EncryptFinal_ex(ctx, out + n, &fin) == 1 && (size_t)(n + fin) == len)
		ret = 0;
	else
		tn_fail(err, "cannot encrypt the credential: %s", tpmv_openssl_error());
	EVP_CIPHER_CTX_free(ctx);
	return ret;
}

static int check_credential_args(const TPM2B_PUBLIC *ek, const TPM2B_NAME *ak_name,
				 size_t secret_len, struct tn_err *err)
{
	const TPMT_SYM_DEF_OBJECT *sym = &ek->publicArea.parameters.rsaDetail.symmetric;

	if (ek->publicArea.type != TPM2_ALG_RSA ||
	    ek->publicArea.nameAlg != TPM2_ALG_SHA256 ||
	    sym->algorithm != TPM2_ALG_AES || sym->keyBits.aes != 128 ||
	    sym->mode.aes != TPM2_ALG_CFB)
		return tn_fail(err, "cannot make a credential for this EK: only RSA EKs with SHA-256 and AES-128-CFB are supported");
	if (!ak_name->size || ak_name->size > sizeof(ak_name->name))
		return tn_fail(err, "cannot make a credential: the AK name is empty or too long");
	/* TPM2_MakeCredential: at most the digest size of the EK's nameAlg. */
	if (!secret_len || secret_len > SHA256_DIGEST_LENGTH)
		return tn_fail(err, "cannot make a credential of %zu bytes: it must be 1 to %d",
			       secret_len, SHA256_DIGEST_LENGTH);
	return 0;
}

/*
 * encIdentity = AES-128-CFB(symKey, marshalled TPM2B_DIGEST(secret)) and
 * id_object = TPM2B_DIGEST(HMAC(hmacKey, encIdentity || name)) || encIdentity.
 */
static int wrap_identity(const uint8_t *seed, const TPM2B_NAME *ak_name,
			 const uint8_t *secret, size_t secret_len,
			 TPM2B_ID_OBJECT *id_object, struct tn_err *err)
{
	uint8_t sym_key[16], hmac_key[SHA256_DIGEST_LENGTH];
	uint8_t plain[sizeof(TPM2B_DIGEST)], mac_in[sizeof(plain) + sizeof(TPM2B_NAME)];
	TPM2B_DIGEST cred = { .size = (UINT16)secret_len }, hmac = { .size = 32 };
	/* encIdentity goes right after the marshalled 32-byte outer HMAC. */
	uint8_t *enc = id_object->credential + 2 + SHA256_DIGEST_LENGTH;
	size_t plain_len = 0, off = 0;
	int ret = -1;

	memcpy(cred.buffer, secret, secret_len);
	if (Tss2_MU_TPM2B_DIGEST_Marshal(&cred, plain, sizeof(plain), &plain_len)) {
		tn_fail(err, "cannot marshal the credential");
		goto out;
	}
	if (kdfa_sha256(seed, 32, "STORAGE", ak_name->name, ak_name->size,
			sym_key, sizeof(sym_key), err) ||
	    aes128_cfb(sym_key, plain, plain_len, enc, err) ||
	    kdfa_sha256(seed, 32, "INTEGRITY", NULL, 0, hmac_key,
			sizeof(hmac_key), err))
		goto out;
	memcpy(mac_in, enc, plain_len);
	memcpy(mac_in + plain_len, ak_name->name, ak_name->size);
	if (!EVP_Q_mac(NULL, "HMAC", NULL, "SHA256", NULL, hmac_key, sizeof(hmac_key),
		       mac_in, plain_len + ak_name->size, hmac.buffer,
		       sizeof(hmac.buffer), NULL)) {
		tn_fail(err, "cannot compute the credential's HMAC: %s", tpmv_openssl_error());
		goto out;
	}
	if (Tss2_MU_TPM2B_DIGEST_Marshal(&hmac, id_object->credential,
					 sizeof(id_object->credential), &off)) {
		tn_fail(err, "cannot marshal the credential's HMAC");
		goto out;
	}
	id_object->size = (UINT16)(off + plain_len);
	ret = 0;
out:
	OPENSSL_cleanse(sym_key, sizeof(sym_key));
	OPENSSL_cleanse(hmac_key, sizeof(hmac_key));
	OPENSSL_cleanse(plain, sizeof(plain));
	OPENSSL_cleanse(&cred, sizeof(cred));
	return ret;
}

int tpmv_make_credential(const TPM2B_PUBLIC *ek, const TPM2B_NAME *ak_name,
			 const uint8_t *secret, size_t secret_len,
			 TPM2B_ID_OBJECT *id_object,
			 TPM2B_ENCRYPTED_SECRET *encrypted_secret,
			 struct tn_err *err)
{
	uint8_t seed[SHA256_DIGEST_LENGTH];	/* digest size of the EK's nameAlg */
	int ret = -1;

	if (check_credential_args(ek, ak_name, secret_len, err))
		return -1;
	memset(id_object, 0, sizeof(*id_object));
	memset(encrypted_secret, 0, sizeof(*encrypted_secret));
	if (RAND_bytes(seed, sizeof(seed)) != 1)
		tn_fail(err, "cannot draw the credential seed: %s", tpmv_openssl_error());
	else if (!encrypt_seed(ek, seed, sizeof(seed), encrypted_secret, err))
		ret = wrap_identity(seed, ak_name, secret, secret_len, id_object, err);
	OPENSSL_cleanse(seed, sizeof(seed));
	return ret;
}
