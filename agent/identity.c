// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "attest.h"
#include "log_auth.h"

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

	if (sodium_init() < 0)
		return tn_fail(err, "libsodium failed to initialise");
	snprintf(path, sizeof(path), "%s/" IDENTITY_FILE, state_dir);
	/* First start: make the key; then read it as every reader does. */
	if (access(path, F_OK) && errno == ENOENT && create_key(path, sk, err))
		return -1;
	return tn_identity_read(state_dir, sk, pk, err);
}
