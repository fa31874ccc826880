// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "attest.h"

#define IDENTITY_FILE "identity.key"

static int create_key(const char *path, uint8_t sk[64], struct tn_err *err)
{
	uint8_t pk[TN_IDKEY_LEN];
	int fd;

	crypto_sign_keypair(pk, sk);
	/* O_EXCL: two agents racing on first start must not both write. */
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0)
		return tn_fail_errno(err, errno, "cannot create %s", path);
	if (write(fd, sk, 64) != 64 || fsync(fd)) {
		int e = errno;

		close(fd);
		unlink(path);
		return tn_fail_errno(err, e, "cannot write %s", path);
	}
	close(fd);
	fprintf(stderr, "trustnoded: created the node identity key %s\n", path);
	return 0;
}

int identity_load(const char *state_dir, uint8_t sk[64],
		  uint8_t pk[TN_IDKEY_LEN], struct tn_err *err)
{
	char path[4096];
	struct stat st;
	int fd;

	if (sodium_init() < 0)
		return tn_fail(err, "libsodium failed to initialise");
	snprintf(path, sizeof(path), "%s/" IDENTITY_FILE, state_dir);
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0 && errno == ENOENT) {
		if (create_key(path, sk, err))
			return -1;
		fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	}
	if (fd < 0)
		return tn_fail_errno(err, errno, "cannot open %s", path);
	if (fstat(fd, &st) || st.st_uid != geteuid() || (st.st_mode & 077)) {
		close(fd);
		return tn_fail(err, "%s must be owned by this user and mode 0600: a key others can read identifies nobody",
			       path);
	}
	if (read(fd, sk, 64) != 64) {
		close(fd);
		return tn_fail(err, "%s is not a 64-byte Ed25519 secret key", path);
	}
	close(fd);
	crypto_sign_ed25519_sk_to_pk(pk, sk);
	return 0;
}
