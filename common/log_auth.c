// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "log_auth.h"
#include "signed_msg.h"

void tn_log_read_msg(const uint8_t challenge[TN_LOG_CHALLENGE_LEN],
		     const uint8_t server_key[TN_IDKEY_LEN],
		     const uint8_t reader_key[TN_IDKEY_LEN],
		     uint64_t since, uint64_t limit,
		     uint8_t msg[TN_LOG_READ_MSG_LEN])
{
	uint8_t *p;

	/* The label with its NUL: no other signed message starts so. */
	p = tn_msg_put(msg, TN_LOG_READ_LABEL, sizeof(TN_LOG_READ_LABEL));
	p = tn_msg_put(p, challenge, TN_LOG_CHALLENGE_LEN);
	p = tn_msg_put(p, server_key, TN_IDKEY_LEN);
	p = tn_msg_put(p, reader_key, TN_IDKEY_LEN);
	p = tn_msg_put_be64(p, since);
	tn_msg_put_be64(p, limit);
}

void tn_log_read_sign(const uint8_t challenge[TN_LOG_CHALLENGE_LEN],
		      const uint8_t server_key[TN_IDKEY_LEN],
		      const uint8_t reader_sk[64], uint64_t since, uint64_t limit,
		      uint8_t sig[TN_LOG_SIG_LEN])
{
	uint8_t msg[TN_LOG_READ_MSG_LEN], pk[TN_IDKEY_LEN];

	crypto_sign_ed25519_sk_to_pk(pk, reader_sk);
	tn_log_read_msg(challenge, server_key, pk, since, limit, msg);
	crypto_sign_detached(sig, NULL, msg, sizeof(msg), reader_sk);
}

int tn_log_read_verify(const uint8_t challenge[TN_LOG_CHALLENGE_LEN],
		       const uint8_t server_key[TN_IDKEY_LEN],
		       const uint8_t reader_key[TN_IDKEY_LEN],
		       uint64_t since, uint64_t limit,
		       const uint8_t sig[TN_LOG_SIG_LEN])
{
	uint8_t msg[TN_LOG_READ_MSG_LEN];

	tn_log_read_msg(challenge, server_key, reader_key, since, limit, msg);
	return crypto_sign_verify_detached(sig, msg, sizeof(msg), reader_key) ? -1 : 0;
}

int tn_identity_read(const char *state_dir, uint8_t sk[64],
		     uint8_t pk[TN_IDKEY_LEN], struct tn_err *err)
{
	char path[4096];
	struct stat st;
	int fd;

	if (sodium_init() < 0)
		return tn_fail(err, "libsodium failed to initialise");
	snprintf(path, sizeof(path), "%s/identity.key", state_dir);
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return tn_fail_errno(err, errno, "cannot open %s", path);
	if (fstat(fd, &st) || st.st_uid != geteuid() || (st.st_mode & 077)) {
		close(fd);
		return tn_fail(err, "%s must be owned by this user and mode 0600: a key others can read identifies nobody",
			       path);
	}
	if (read(fd, sk, 64) != 64) {
		close(fd);
		sodium_memzero(sk, 64);
		return tn_fail(err, "%s is not a 64-byte Ed25519 secret key", path);
	}
	close(fd);
	crypto_sign_ed25519_sk_to_pk(pk, sk);
	return 0;
}
