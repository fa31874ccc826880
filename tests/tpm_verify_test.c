// SPDX-License-Identifier: GPL-2.0-only
/*
 * The verifier's TPM crypto (common/tpm_verify.c) against real TPM output:
 * a software TPM (swtpm) manufactured per test by swtpm_setup, with EK
 * certificates from a local CA of this run's own (so that the test needs
 * no root and no system state), driven by tpm2-tools over a unix socket.
 * Every tool's output goes to DIR/log, shown when a step fails.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <tss2/tss2_mu.h>
#include "kselftest_harness.h"
#include "hex.h"
#include "tpm_verify.h"

/*
 * swtpm_localca's state (root and intermediate CA, made on first use) for
 * this run: created before the tests fork, removed when the run ends.
 */
static char localca[64];
static char root_ca[128], issuer_ca[128];
#define LOCALCA		localca
#define ROOT_CA		root_ca
#define ISSUER_CA	issuer_ca
#define QUOTE_PCR	13
#define NONCE_HEX	"00112233445566778899aabbccddeeff0123456789abcdef"
#define EXTEND_HEX	"5c1ab4a6e5ec4d2b2f3fb7aeb1c1a1b1e4e5d1d1f0f0a0a0b0b0c0c0d0d0e0e0"

FIXTURE(tpm) {
	char dir[128];		/* artifacts, log, tpm1/ and tpm2/ */
	pid_t swtpm[2];		/* 0: not running */
	int missing;		/* swtpm or tpm2-tools is not installed */
	TPM2B_PUBLIC ek, ak;
};

static void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void say(const char *fmt, ...)
{
	va_list ap;

	printf("# ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
}

/* Runs a shell command in dir, output appended to dir/log; its exit status. */
static int sh(const char *dir, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static int sh(const char *dir, const char *fmt, ...)
{
	char cmd[4096], line[3000];
	FILE *f;
	int rc;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	/* The command line goes to the log too, so a failure shows what ran. */
	snprintf(cmd, sizeof(cmd), "%s/log", dir);
	f = fopen(cmd, "a");
	if (f) {
		fprintf(f, "+ %s\n", line);
		fclose(f);
	}
	snprintf(cmd, sizeof(cmd), "cd '%s' && { %s; } >>log 2>&1", dir, line);
	rc = system(cmd);
	return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

/* The last lines of dir/log, for a failure message. */
static const char *log_tail(const char *dir)
{
	static char buf[3000];
	char path[200];
	FILE *f;
	size_t n = 0;
	long size;

	snprintf(path, sizeof(path), "%s/log", dir);
	f = fopen(path, "r");
	buf[0] = '\0';
	if (!f)
		return buf;
	fseek(f, 0, SEEK_END);
	size = ftell(f);
	fseek(f, size > (long)sizeof(buf) - 1 ? size - (long)sizeof(buf) + 1 : 0, SEEK_SET);
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

static int read_bin(const char *dir, const char *name, uint8_t *buf,
		    size_t max, size_t *len)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "rb");
	if (!f)
		return -1;
	*len = fread(buf, 1, max, f);
	fclose(f);
	return *len < max ? 0 : -1;	/* a full buffer may mean truncation */
}

static int write_bin(const char *dir, const char *name, const uint8_t *buf,
		     size_t len)
{
	char path[256];
	FILE *f;
	int ok;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "wb");
	if (!f)
		return -1;
	ok = fwrite(buf, 1, len, f) == len;
	return fclose(f) == 0 && ok ? 0 : -1;
}

/* A TSS-format TPM2B_PUBLIC file (tpm2-tools -u/-o), through the hex API. */
static int load_public(const char *dir, const char *name, TPM2B_PUBLIC *pub,
		       struct tn_err *err)
{
	uint8_t buf[sizeof(TPM2B_PUBLIC)];
	char hex[2 * sizeof(buf) + 1];
	size_t len;

	if (read_bin(dir, name, buf, sizeof(buf), &len))
		return tn_fail(err, "cannot read %s/%s", dir, name);
	tn_hex_encode(buf, len, hex);
	return tpmv_public_from_hex(hex, pub, name, err);
}

/*
 * Appended to tpm2-tools commands: flushes what they leave loaded (swtpm
 * has no resource manager) and exits with the commands' status.
 */
#define FLUSH "; rc=$?; tpm2_flushcontext -t; tpm2_flushcontext -s; " \
	      "tpm2_flushcontext -l; exit $rc"

/* Same settings as Debian's /etc/swtpm-localca.conf, in our directory. */
static int localca_write_config(void)
{
	char path[160];
	FILE *f;

	snprintf(path, sizeof(path), "%s/localca.conf", localca);
	f = fopen(path, "w");
	if (!f)
		return -1;
	fprintf(f, "statedir = %s\nsigningkey = %s/signkey.pem\n"
		"issuercert = %s\ncertserial = %s/certserial\n",
		localca, localca, issuer_ca, localca);
	fclose(f);
	snprintf(path, sizeof(path), "%s/setup.conf", localca);
	f = fopen(path, "w");
	if (!f)
		return -1;
	fprintf(f, "create_certs_tool = /usr/bin/swtpm_localca\n"
		"create_certs_tool_config = %s/localca.conf\n"
		"create_certs_tool_options = /etc/swtpm-localca.options\n"
		"active_pcr_banks = sha256\n", localca);
	return fclose(f);
}

/* Before the harness forks: every test of the run shares the one CA. */
static void __attribute__((constructor)) localca_create(void)
{
	snprintf(localca, sizeof(localca), "/tmp/tn-localca-XXXXXX");
	if (!mkdtemp(localca)) {
		localca[0] = 0;	/* swtpm_setup then fails and says why */
		return;
	}
	snprintf(root_ca, sizeof(root_ca), "%s/swtpm-localca-rootca-cert.pem", localca);
	snprintf(issuer_ca, sizeof(issuer_ca), "%s/issuercert.pem", localca);
	if (localca_write_config())
		fprintf(stderr, "# cannot write the local CA's configuration in %s\n", localca);
}

static void __attribute__((destructor)) localca_remove(void)
{
	char cmd[128];

	if (localca[0]) {
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", localca);
		if (system(cmd))
			fprintf(stderr, "# could not remove %s\n", localca);
	}
}

static int tpm_manufacture(const char *dir, const char *sub)
{
	say("swtpm_setup %s (EK and platform certificates from %s)", sub, LOCALCA);
	return sh(dir, "mkdir -p %s && swtpm_setup --tpm2 --tpmstate %s "
		  "--config %s/setup.conf --create-ek-cert "
		  "--create-platform-cert --lock-nvram", sub, sub, localca);
}

static int connectable(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	size_t len = strlen(path);
	int fd, ok;

	if (len >= sizeof(sa.sun_path))
		return 0;
	memcpy(sa.sun_path, path, len);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	ok = fd >= 0 && connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0;
	if (fd >= 0)
		close(fd);
	return ok;
}

/* swtpm's pid once its pid file is written and its socket accepts, or -1. */
static pid_t tpm_wait(const char *dir, const char *sub)
{
	struct timespec ts = { 0, 10 * 1000 * 1000 };
	char path[256];
	uint8_t buf[32];
	size_t len;

	for (int i = 0; i < 200; i++, nanosleep(&ts, NULL)) {
		snprintf(path, sizeof(path), "%s/pid", sub);
		if (read_bin(dir, path, buf, sizeof(buf) - 1, &len) || !len)
			continue;
		buf[len] = '\0';
		snprintf(path, sizeof(path), "%s/%s/sock", dir, sub);
		if (connectable(path))
			return (pid_t)atoi((char *)buf);
	}
	return -1;
}

/*
 * Starts swtpm on DIR/SUB. swtpm_setup's own swtpm may still hold the
 * state's lock for a moment after swtpm_setup returns, and then the new
 * one exits at once: hence a few attempts.
 */
static pid_t tpm_start(const char *dir, const char *sub)
{
	struct timespec ts = { 0, 100 * 1000 * 1000 };
	char path[256];
	pid_t pid = -1;

	/* Absolute paths: the daemon changes to / before it opens them. */
	snprintf(path, sizeof(path), "%s/%s", dir, sub);
	for (int i = 0; i < 5 && pid < 0; i++) {
		if (i)
			nanosleep(&ts, NULL);
		sh(dir, "rm -f %s/pid; swtpm socket --tpm2 --tpmstate dir=%s "
		   "--server type=unixio,path=%s/sock --ctrl type=unixio,path=%s/sock.ctrl "
		   "--flags startup-clear --daemon --pid file=%s/pid --log file=%s/swtpm.log",
		   path, path, path, path, path, path);
		pid = tpm_wait(dir, sub);
	}
	if (pid < 0)
		sh(dir, "cat %s/swtpm.log", sub);
	return pid;
}

/* Running, as opposed to gone or a zombie waiting for init to reap it. */
static int alive(pid_t pid)
{
	char path[64], buf[256], *p;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	buf[n > 0 ? n : 0] = '\0';
	p = strrchr(buf, ')');
	return p && p[1] == ' ' && p[2] != 'Z' && p[2] != 'X';
}

static void tpm_stop(pid_t pid)
{
	struct timespec ts = { 0, 10 * 1000 * 1000 };

	if (pid <= 0 || kill(pid, SIGTERM))
		return;
	/* swtpm daemonized, so it is not our child: poll until it is gone. */
	for (int i = 0; i < 200 && alive(pid); i++)
		nanosleep(&ts, NULL);
	if (alive(pid))
		kill(pid, SIGKILL);
}

/* Starts swtpm sub (tpm1 or tpm2) and points tpm2-tools at it. */
static int tpm_up(const char *dir, const char *sub, pid_t *pid)
{
	char tcti[256];

	*pid = tpm_start(dir, sub);
	if (*pid <= 0)
		return -1;
	snprintf(tcti, sizeof(tcti), "swtpm:path=%s/%s/sock", dir, sub);
	setenv("TPM2TOOLS_TCTI", tcti, 1);
	return 0;
}

static void fixture_cleanup(FIXTURE_DATA(tpm) *self)
{
	char cmd[200];

	for (int i = 0; i < 2; i++)
		tpm_stop(self->swtpm[i]);
	if (getenv("TN_KEEP_TMP")) {
		say("kept %s", self->dir);
		return;
	}
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", self->dir);
	if (system(cmd))
		say("could not remove %s", self->dir);
}

FIXTURE_SETUP(tpm)
{
	const char *tmp = getenv("TMPDIR");
	struct tn_err e = { .msg = "" };
	int ok;

	snprintf(self->dir, sizeof(self->dir), "%s/tnv.XXXXXX", tmp && *tmp ? tmp : "/tmp");
	ASSERT_NE(NULL, mkdtemp(self->dir)) TH_LOG("mkdtemp %s: %s", self->dir, strerror(errno));
	/* sun_path holds 108 bytes: DIR/tpmN/sock.ctrl must fit. */
	if (strlen(self->dir) + sizeof("/tpm1/sock.ctrl") > 108 ||
	    sh(self->dir, "command -v swtpm_setup && command -v swtpm && command -v tpm2_quote")) {
		/* This harness runs the test after a SKIP in setup: it checks missing. */
		self->missing = 1;
		SKIP(return, "swtpm or tpm2-tools missing, or TMPDIR too long for a unix socket");
	}
	ok = !tpm_manufacture(self->dir, "tpm1") &&
	     !tpm_up(self->dir, "tpm1", &self->swtpm[0]);
	if (ok) {
		say("swtpm tpm1 pid %d; creating the RSA EK and an ECC AK", self->swtpm[0]);
		ok = !sh(self->dir, "tpm2_createek -G rsa -c ek.ctx -u ek.pub && "
			 "tpm2_createak -C ek.ctx -c ak.ctx -G ecc -g sha256 -s ecdsa "
			 "-u ak.pub -n ak.name" FLUSH);
	}
	ok = ok && !load_public(self->dir, "ek.pub", &self->ek, &e) &&
	     !load_public(self->dir, "ak.pub", &self->ak, &e);
	if (!ok) {
		TH_LOG("setup failed: %s\n%s", e.msg, log_tail(self->dir));
		fixture_cleanup(self);
	}
	ASSERT_TRUE(ok);
}

FIXTURE_TEARDOWN(tpm)
{
	fixture_cleanup(self);
}

#define NEED_TPM() do {							\
	if (self->missing)						\
		SKIP(return, "swtpm or tpm2-tools missing");		\
} while (0)

TEST_F(tpm, the_name_is_the_one_the_tpm_computes)
{
	uint8_t want[sizeof(TPM2B_NAME)];
	TPM2B_NAME name;
	struct tn_err e;
	size_t len;

	NEED_TPM();
	ASSERT_EQ(0, read_bin(self->dir, "ak.name", want, sizeof(want), &len));
	ASSERT_EQ(0, tpmv_public_name(&self->ak, &name, &e)) TH_LOG("%s", e.msg);
	EXPECT_EQ(34, name.size);
	ASSERT_EQ(len, name.size);
	EXPECT_EQ(0, memcmp(want, name.name, len));

	/* And the EK's, as tpm2_readpublic prints it. */
	ASSERT_EQ(0, sh(self->dir, "tpm2_readpublic -c ek.ctx -n ek.name" FLUSH));
	ASSERT_EQ(0, read_bin(self->dir, "ek.name", want, sizeof(want), &len));
	ASSERT_EQ(0, tpmv_public_name(&self->ek, &name, &e)) TH_LOG("%s", e.msg);
	ASSERT_EQ(len, name.size);
	EXPECT_EQ(0, memcmp(want, name.name, len));
	say("AK and EK names match the TPM's");
}

static int check_ak(const TPM2B_PUBLIC *k, const char *want, struct tn_err *e)
{
	e->msg[0] = '\0';
	if (tpmv_check_ak_public(k, e) != -1)
		return -1;
	return strstr(e->msg, want) ? 0 : -1;
}

static int check_ek(const TPM2B_PUBLIC *k, const char *want, struct tn_err *e)
{
	e->msg[0] = '\0';
	if (tpmv_check_ek_public(k, e) != -1)
		return -1;
	return strstr(e->msg, want) ? 0 : -1;
}

TEST_F(tpm, the_ak_is_an_attestation_key_and_the_ek_is_not)
{
	TPM2B_PUBLIC plain, k;
	struct tn_err e = { .msg = "" };

	NEED_TPM();
	EXPECT_EQ(0, tpmv_check_ak_public(&self->ak, &e)) TH_LOG("%s", e.msg);
	EXPECT_EQ(0, check_ak(&self->ek, "sign attribute", &e)) TH_LOG("got: %s", e.msg);

	/* A signing key the TPM would sign anything with. */
	ASSERT_EQ(0, sh(self->dir, "tpm2_createprimary -C o -G ecc256:ecdsa-sha256 -g sha256 "
			"-a 'fixedtpm|fixedparent|sensitivedataorigin|userwithauth|sign' "
			"-c plain.ctx && tpm2_readpublic -c plain.ctx -o plain.pub" FLUSH))
		TH_LOG("%s", log_tail(self->dir));
	ASSERT_EQ(0, load_public(self->dir, "plain.pub", &plain, &e)) TH_LOG("%s", e.msg);
	EXPECT_EQ(0, check_ak(&plain, "must have the restricted attribute", &e))
		TH_LOG("got: %s", e.msg);

	k = self->ak;
	k.publicArea.objectAttributes &= ~TPMA_OBJECT_FIXEDTPM;
	EXPECT_EQ(0, check_ak(&k, "fixedTPM", &e)) TH_LOG("got: %s", e.msg);
	k = self->ak;
	k.publicArea.objectAttributes |= TPMA_OBJECT_DECRYPT;
	EXPECT_EQ(0, check_ak(&k, "must not have the decrypt", &e)) TH_LOG("got: %s", e.msg);
	k = self->ak;
	k.publicArea.parameters.eccDetail.scheme.details.ecdsa.hashAlg = TPM2_ALG_SHA1;
	EXPECT_EQ(0, check_ak(&k, "ECDSA with SHA-256", &e)) TH_LOG("got: %s", e.msg);
	say("AK accepted; EK, an unrestricted key and altered AKs refused");
}

TEST_F(tpm, the_ek_is_the_l1_ek_and_the_ak_is_not)
{
	TPM2B_PUBLIC k;
	struct tn_err e = { .msg = "" };

	NEED_TPM();
	EXPECT_EQ(0, tpmv_check_ek_public(&self->ek, &e)) TH_LOG("%s", e.msg);
	EXPECT_EQ(0, check_ek(&self->ak, "not an RSA key", &e)) TH_LOG("got: %s", e.msg);
	k = self->ek;
	k.publicArea.objectAttributes |= TPMA_OBJECT_USERWITHAUTH;
	EXPECT_EQ(0, check_ek(&k, "userWithAuth", &e)) TH_LOG("got: %s", e.msg);
	k = self->ek;
	k.publicArea.authPolicy.buffer[0] ^= 1;
	EXPECT_EQ(0, check_ek(&k, "authPolicy", &e)) TH_LOG("got: %s", e.msg);
	k = self->ek;
	k.publicArea.parameters.rsaDetail.symmetric.keyBits.aes = 256;
	EXPECT_EQ(0, check_ek(&k, "AES-128-CFB", &e)) TH_LOG("got: %s", e.msg);
	say("EK accepted; AK and altered EKs refused");
}

/* tpm2-tools' credential file: magic, version 1, TPM2B_ID_OBJECT, TPM2B_ENCRYPTED_SECRET. */
static int write_credential(const char *dir, const char *name,
			    const TPM2B_ID_OBJECT *id, const TPM2B_ENCRYPTED_SECRET *es)
{
	uint8_t buf[8 + sizeof(*id) + sizeof(*es)] = { 0xba, 0xdc, 0xc0, 0xde, 0, 0, 0, 1 };
	size_t off = 8;

	if (Tss2_MU_TPM2B_ID_OBJECT_Marshal(id, buf, sizeof(buf), &off) ||
	    Tss2_MU_TPM2B_ENCRYPTED_SECRET_Marshal(es, buf, sizeof(buf), &off))
		return -1;
	return write_bin(dir, name, buf, off);
}

/* TPM2_ActivateCredential of blob with the AK in key_ctx; the tool's status. */
static int activate(const char *dir, const char *blob, const char *key_ctx,
		    const char *out)
{
	return sh(dir, "rm -f %s; tpm2_startauthsession --policy-session -S sess.ctx && "
		  "tpm2_policysecret -S sess.ctx -c e && "
		  "tpm2_activatecredential -c %s -C ek.ctx -i %s -o %s -P session:sess.ctx"
		  FLUSH,
		  out, key_ctx, blob, out);
}

static int make_blob(FIXTURE_DATA(tpm) *self, const TPM2B_PUBLIC *for_key,
		     const uint8_t *secret, size_t len, const char *blob,
		     struct tn_err *e)
{
	TPM2B_ENCRYPTED_SECRET es;
	TPM2B_ID_OBJECT id;
	TPM2B_NAME name;

	if (tpmv_public_name(for_key, &name, e) ||
	    tpmv_make_credential(&self->ek, &name, secret, len, &id, &es, e))
		return -1;
	if (write_credential(self->dir, blob, &id, &es))
		return tn_fail(e, "cannot write %s", blob);
	return 0;
}

TEST_F(tpm, a_credential_activates_to_its_secret)
{
	uint8_t secret[32], got[64];
	struct tn_err e = { .msg = "" };
	size_t len;

	NEED_TPM();
	ASSERT_EQ(1, RAND_bytes(secret, sizeof(secret)));
	ASSERT_EQ(0, make_blob(self, &self->ak, secret, sizeof(secret), "cred.blob", &e))
		TH_LOG("%s", e.msg);
	ASSERT_EQ(0, activate(self->dir, "cred.blob", "ak.ctx", "secret.out"))
		TH_LOG("activation failed:\n%s", log_tail(self->dir));
	ASSERT_EQ(0, read_bin(self->dir, "secret.out", got, sizeof(got), &len));
	ASSERT_EQ(sizeof(secret), len);
	EXPECT_EQ(0, memcmp(secret, got, len));

	/* A short secret too: the size is inside the encrypted TPM2B. */
	ASSERT_EQ(0, make_blob(self, &self->ak, (const uint8_t *)"hi", 2, "short.blob", &e))
		TH_LOG("%s", e.msg);
	ASSERT_EQ(0, activate(self->dir, "short.blob", "ak.ctx", "short.out"))
		TH_LOG("%s", log_tail(self->dir));
	ASSERT_EQ(0, read_bin(self->dir, "short.out", got, sizeof(got), &len));
	ASSERT_EQ((size_t)2, len);
	EXPECT_EQ(0, memcmp("hi", got, 2));

	EXPECT_EQ(-1, make_blob(self, &self->ak, got, 33, "long.blob", &e));
	say("tpm2_activatecredential recovered the secrets");
}

TEST_F(tpm, a_credential_for_another_key_does_not_activate)
{
	uint8_t secret[32], got[64];
	struct tn_err e = { .msg = "" };
	TPM2B_PUBLIC ak2;
	size_t len;

	NEED_TPM();
	ASSERT_EQ(0, sh(self->dir, "tpm2_createak -C ek.ctx -c ak2.ctx -G ecc -g sha256 "
			"-s ecdsa -u ak2.pub -n ak2.name" FLUSH)) TH_LOG("%s", log_tail(self->dir));
	ASSERT_EQ(0, load_public(self->dir, "ak2.pub", &ak2, &e)) TH_LOG("%s", e.msg);
	ASSERT_EQ(1, RAND_bytes(secret, sizeof(secret)));
	ASSERT_EQ(0, make_blob(self, &ak2, secret, sizeof(secret), "cred2.blob", &e))
		TH_LOG("%s", e.msg);
	EXPECT_NE(0, activate(self->dir, "cred2.blob", "ak.ctx", "wrong.out"));
	EXPECT_NE(0, read_bin(self->dir, "wrong.out", got, sizeof(got), &len));
	/* The same blob is fine for the key it was made for. */
	ASSERT_EQ(0, activate(self->dir, "cred2.blob", "ak2.ctx", "right.out"))
		TH_LOG("%s", log_tail(self->dir));
	ASSERT_EQ(0, read_bin(self->dir, "right.out", got, sizeof(got), &len));
	ASSERT_EQ(sizeof(secret), len);
	EXPECT_EQ(0, memcmp(secret, got, len));
	say("a credential for AK2 is refused for AK1 and activates for AK2");
}

struct quote {
	uint8_t attest[1024], sig[1024], pcr[32];
	size_t attest_len, sig_len;
};

/* Extends the quote PCR, quotes it with the AK, reads it back. */
static int take_quote(const char *dir, struct quote *q)
{
	uint8_t pcr[64];
	size_t len;

	if (sh(dir, "tpm2_pcrextend %d:sha256=%s && "
	       "tpm2_quote -c ak.ctx -q %s -l sha256:%d -g sha256 -m quote.msg -s quote.sig && "
	       "tpm2_pcrread sha256:%d -o pcr.bin" FLUSH,
	       QUOTE_PCR, EXTEND_HEX, NONCE_HEX, QUOTE_PCR, QUOTE_PCR))
		return -1;
	if (read_bin(dir, "quote.msg", q->attest, sizeof(q->attest), &q->attest_len) ||
	    read_bin(dir, "quote.sig", q->sig, sizeof(q->sig), &q->sig_len) ||
	    read_bin(dir, "pcr.bin", pcr, sizeof(pcr), &len) || len != 32)
		return -1;
	memcpy(q->pcr, pcr, 32);
	return 0;
}

TEST_F(tpm, a_quote_verifies_and_matches_the_pcr_values)
{
	static const unsigned pcrs[] = { QUOTE_PCR };
	uint8_t nonce[64], zero[32] = { 0 };
	struct tn_err e = { .msg = "" };
	TPMS_ATTEST a;
	struct quote q;
	size_t len;

	NEED_TPM();
	ASSERT_EQ(0, take_quote(self->dir, &q)) TH_LOG("%s", log_tail(self->dir));
	ASSERT_EQ(0, tpmv_verify_quote(&self->ak, q.attest, q.attest_len, q.sig, q.sig_len,
				       &a, &e)) TH_LOG("%s", e.msg);
	ASSERT_EQ(0, tn_hex_decode(NONCE_HEX, nonce, sizeof(nonce), &len, "nonce", &e));
	ASSERT_EQ(len, a.extraData.size);
	EXPECT_EQ(0, memcmp(nonce, a.extraData.buffer, len));
	EXPECT_NE(0, memcmp(zero, q.pcr, 32));	/* the extend took */
	EXPECT_EQ(0, tpmv_check_pcr_digest(&a, pcrs, (const uint8_t (*)[32])q.pcr, 1, &e))
		TH_LOG("%s", e.msg);
	say("quote verified; PCR %d digest matches tpm2_pcrread", QUOTE_PCR);
}

static int verify(const TPM2B_PUBLIC *key,
		  const struct quote *q, const char *want, struct tn_err *e)
{
	TPMS_ATTEST a;

	e->msg[0] = '\0';
	if (tpmv_verify_quote(key, q->attest, q->attest_len, q->sig, q->sig_len, &a, e) != -1)
		return -1;
	return strstr(e->msg, want) ? 0 : -1;
}

TEST_F(tpm, a_tampered_quote_or_wrong_pcrs_fail)
{
	static const char bad_sig[] = "the quote's signature does not verify with the pinned AK";
	static const unsigned pcrs[] = { QUOTE_PCR }, two[] = { QUOTE_PCR, QUOTE_PCR + 1 };
	uint8_t values[2][32];
	struct tn_err e = { .msg = "" };
	struct quote q, t;
	TPMS_ATTEST a;

	NEED_TPM();
	ASSERT_EQ(0, take_quote(self->dir, &q)) TH_LOG("%s", log_tail(self->dir));
	for (size_t i = 0; i < q.attest_len; i += 17) {
		t = q;
		t.attest[i] ^= 0x01;
		EXPECT_EQ(0, verify(&self->ak, &t, bad_sig, &e))
			TH_LOG("attest byte %zu flipped; got: %s", i, e.msg);
	}
	/* The last bytes are S of the ECDSA signature; then R's. */
	t = q;
	t.sig[t.sig_len - 1] ^= 0x80;
	EXPECT_EQ(0, verify(&self->ak, &t, bad_sig, &e)) TH_LOG("got: %s", e.msg);
	t = q;
	t.sig[8] ^= 0x01;
	EXPECT_EQ(0, verify(&self->ak, &t, bad_sig, &e)) TH_LOG("got: %s", e.msg);
	t = q;
	t.sig_len -= 1;
	EXPECT_EQ(0, verify(&self->ak, &t, "not a marshalled TPMT_SIGNATURE", &e))
		TH_LOG("got: %s", e.msg);

	ASSERT_EQ(0, tpmv_verify_quote(&self->ak, q.attest, q.attest_len, q.sig, q.sig_len,
				       &a, &e)) TH_LOG("%s", e.msg);
	memcpy(values[0], q.pcr, 32);
	values[0][31] ^= 1;
	EXPECT_EQ(-1, tpmv_check_pcr_digest(&a, pcrs, (const uint8_t (*)[32])values, 1, &e));
	EXPECT_NE(NULL, strstr(e.msg, "the quoted PCR digest does not match")) TH_LOG("got: %s", e.msg);
	memcpy(values[0], q.pcr, 32);
	memset(values[1], 0, 32);
	EXPECT_EQ(-1, tpmv_check_pcr_digest(&a, two, (const uint8_t (*)[32])values, 2, &e));
	EXPECT_NE(NULL, strstr(e.msg, "selects other PCRs than sha256:13,14")) TH_LOG("got: %s", e.msg);
	say("flipped attest and signature bytes, wrong PCR values and selections all refused");
}

TEST_F(tpm, signed_structures_that_are_not_quotes_fail)
{
	static const char not_quote[] = "the attest structure is not a TPM-generated quote";
	struct tn_err e = { .msg = "" };
	TPM2B_PUBLIC plain;
	struct quote q, c;

	NEED_TPM();
	ASSERT_EQ(0, take_quote(self->dir, &q)) TH_LOG("%s", log_tail(self->dir));
	/* The AK certifying itself: TPM-generated, signed, but no quote. */
	ASSERT_EQ(0, sh(self->dir, "tpm2_certify -C ak.ctx -c ak.ctx -g sha256 "
			"-o certify.msg -s certify.sig" FLUSH)) TH_LOG("%s", log_tail(self->dir));
	ASSERT_EQ(0, read_bin(self->dir, "certify.msg", c.attest, sizeof(c.attest), &c.attest_len));
	ASSERT_EQ(0, read_bin(self->dir, "certify.sig", c.sig, sizeof(c.sig), &c.sig_len));
	EXPECT_EQ(0, verify(&self->ak, &c, not_quote, &e)) TH_LOG("got: %s", e.msg);

	/*
	 * An unrestricted key signs anything: a quote without the magic, and
	 * bytes that are no TPMS_ATTEST at all. (Hence the AK must be restricted.)
	 */
	q.attest[0] = 0;
	ASSERT_EQ(0, write_bin(self->dir, "forged.msg", q.attest, q.attest_len));
	ASSERT_EQ(0, write_bin(self->dir, "junk.msg", (const uint8_t *)"junk", 4));
	ASSERT_EQ(0, sh(self->dir, "tpm2_createprimary -C o -G ecc256:ecdsa-sha256 -g sha256 "
			"-a 'fixedtpm|fixedparent|sensitivedataorigin|userwithauth|sign' "
			"-c plain.ctx && tpm2_readpublic -c plain.ctx -o plain.pub && "
			"tpm2_sign -c plain.ctx -g sha256 -o forged.sig forged.msg && "
			"tpm2_flushcontext -t && tpm2_sign -c plain.ctx -g sha256 -o junk.sig junk.msg" FLUSH))
		TH_LOG("%s", log_tail(self->dir));
	ASSERT_EQ(0, load_public(self->dir, "plain.pub", &plain, &e)) TH_LOG("%s", e.msg);
	ASSERT_EQ(0, read_bin(self->dir, "forged.sig", q.sig, sizeof(q.sig), &q.sig_len));
	EXPECT_EQ(0, verify(&plain, &q, not_quote, &e)) TH_LOG("got: %s", e.msg);
	/* ...and that signature does not verify with the AK. */
	EXPECT_EQ(0, verify(&self->ak, &q, "does not verify with the pinned AK", &e))
		TH_LOG("got: %s", e.msg);
	memcpy(c.attest, "junk", 4);
	c.attest_len = 4;
	ASSERT_EQ(0, read_bin(self->dir, "junk.sig", c.sig, sizeof(c.sig), &c.sig_len));
	EXPECT_EQ(0, verify(&plain, &c, "not a marshalled TPMS_ATTEST", &e))
		TH_LOG("got: %s", e.msg);
	say("a certify, a magic-less quote and junk, all validly signed, are refused");
}

static int read_ek_cert(const char *dir, uint8_t *der, size_t max, size_t *len)
{
	if (sh(dir, "tpm2_nvread 0x%x -o ekcert.der" FLUSH, 0x1c00002))
		return -1;
	return read_bin(dir, "ekcert.der", der, max, len);
}

static int check_cert(const uint8_t *der, size_t len, const TPM2B_PUBLIC *ek,
		      const char *want, const char *ca1, const char *ca2,
		      struct tn_err *e)
{
	const char *cas[] = { ca1, ca2 };
	int rc;

	e->msg[0] = '\0';
	rc = tpmv_check_ek_certificate(der, len, ek, cas, ca2 ? 2 : 1, e);
	if (!want)
		return rc;
	return rc == -1 && strstr(e->msg, want) ? 0 : -1;
}

/* A CA of our own (ca.pem, ca.key) and the openssl config for its certs. */
static int make_ca(const char *dir)
{
	/* subjectDirectoryAttributes holding TCG tpmSpecification ("2.0", 0, 164). */
	static const char cnf[] =
		"[req]\ndistinguished_name = dn\nx509_extensions = v3ca\n[dn]\n"
		"[v3ca]\nbasicConstraints = critical,CA:TRUE\n"
		"keyUsage = critical,keyCertSign\nsubjectKeyIdentifier = hash\n"
		"[tcg]\nbasicConstraints = critical,CA:FALSE\n"
		"2.5.29.9 = critical,DER:3019301706056781050210310e300c0c03322e30020100020200a4\n"
		"[unknown]\nbasicConstraints = critical,CA:FALSE\n"
		"1.3.6.1.4.1.55555.1 = critical,DER:0500\n";

	if (write_bin(dir, "ca.cnf", (const uint8_t *)cnf, sizeof(cnf) - 1))
		return -1;
	return sh(dir, "openssl req -x509 -config ca.cnf -newkey ec "
		  "-pkeyopt ec_paramgen_curve:P-256 -nodes -keyout ca.key -out ca.pem "
		  "-subj /CN=unrelated-ca -days 2");
}

TEST_F(tpm, the_ek_certificate_chains_to_the_swtpm_local_ca_only)
{
	uint8_t der[4096];
	struct tn_err e = { .msg = "" };
	char ca[200];
	size_t len;

	NEED_TPM();
	ASSERT_EQ(0, read_ek_cert(self->dir, der, sizeof(der), &len)) TH_LOG("%s", log_tail(self->dir));
	EXPECT_EQ(0, check_cert(der, len, &self->ek, NULL, ROOT_CA, ISSUER_CA, &e))
		TH_LOG("%s", e.msg);
	/* The issuer is an intermediate: the root alone is not enough. */
	EXPECT_EQ(0, check_cert(der, len, &self->ek, "unable to get local issuer",
				ROOT_CA, NULL, &e)) TH_LOG("got: %s", e.msg);
	/* And the intermediate alone is no trust anchor. */
	EXPECT_EQ(0, check_cert(der, len, &self->ek, "does not chain",
				ISSUER_CA, NULL, &e)) TH_LOG("got: %s", e.msg);

	ASSERT_EQ(0, make_ca(self->dir)) TH_LOG("%s", log_tail(self->dir));
	snprintf(ca, sizeof(ca), "%s/ca.pem", self->dir);
	EXPECT_EQ(0, check_cert(der, len, &self->ek, "does not chain to the given CA",
				ca, NULL, &e)) TH_LOG("got: %s", e.msg);
	say("EK certificate chains to %s; with an unrelated CA: %s", LOCALCA, e.msg);
	snprintf(ca, sizeof(ca), "%s/missing.pem", self->dir);
	EXPECT_EQ(0, check_cert(der, len, &self->ek, "cannot read CA certificates",
				ca, NULL, &e)) TH_LOG("got: %s", e.msg);
	der[len / 2] ^= 1;
	EXPECT_EQ(0, check_cert(der, len, &self->ek, "does not chain", ROOT_CA, ISSUER_CA, &e))
		TH_LOG("got: %s", e.msg);
	say("a flipped byte in the certificate: %s", e.msg);
}

TEST_F(tpm, the_ek_certificate_is_only_good_for_its_own_tpm)
{
	uint8_t der1[4096], der2[4096];
	struct tn_err e = { .msg = "" };
	TPM2B_PUBLIC ek2;
	size_t len1, len2;

	NEED_TPM();
	ASSERT_EQ(0, read_ek_cert(self->dir, der1, sizeof(der1), &len1)) TH_LOG("%s", log_tail(self->dir));
	ASSERT_EQ(0, tpm_manufacture(self->dir, "tpm2")) TH_LOG("%s", log_tail(self->dir));
	ASSERT_EQ(0, tpm_up(self->dir, "tpm2", &self->swtpm[1])) TH_LOG("%s", log_tail(self->dir));
	ASSERT_EQ(0, sh(self->dir, "tpm2_createek -G rsa -c ek2.ctx -u ek2.pub" FLUSH))
		TH_LOG("%s", log_tail(self->dir));
	ASSERT_EQ(0, read_ek_cert(self->dir, der2, sizeof(der2), &len2));
	ASSERT_EQ(0, load_public(self->dir, "ek2.pub", &ek2, &e)) TH_LOG("%s", e.msg);
	EXPECT_EQ(0, check_cert(der2, len2, &ek2, NULL, ROOT_CA, ISSUER_CA, &e)) TH_LOG("%s", e.msg);
	EXPECT_EQ(0, check_cert(der1, len1, &ek2, "public key is not the EK's",
				ROOT_CA, ISSUER_CA, &e)) TH_LOG("got: %s", e.msg);
	EXPECT_EQ(0, check_cert(der2, len2, &self->ek, "public key is not the EK's",
				ROOT_CA, ISSUER_CA, &e)) TH_LOG("got: %s", e.msg);
	say("each TPM's EK certificate is refused with the other TPM's EK");
}

TEST_F(tpm, critical_tcg_attributes_are_accepted_and_unknown_critical_extensions_are_not)
{
	struct tn_err e = { .msg = "" };
	uint8_t der[4096];
	EVP_PKEY *key;
	char ca[200], path[200];
	size_t len;
	FILE *f;

	NEED_TPM();
	ASSERT_EQ(0, make_ca(self->dir)) TH_LOG("%s", log_tail(self->dir));
	snprintf(ca, sizeof(ca), "%s/ca.pem", self->dir);
	ASSERT_EQ(0, tpmv_public_key(&self->ek, &key, &e)) TH_LOG("%s", e.msg);
	snprintf(path, sizeof(path), "%s/ek.pem", self->dir);
	ASSERT_NE(NULL, f = fopen(path, "w"));
	EXPECT_EQ(1, PEM_write_PUBKEY(f, key));
	fclose(f);
	EVP_PKEY_free(key);
	/* Certificates for the EK's key, issued by our CA, with each section's extensions. */
	ASSERT_EQ(0, sh(self->dir, "openssl req -new -config ca.cnf -key ca.key -subj /CN=ek "
			"-out ek.csr && for s in tcg unknown; do openssl x509 -req -in ek.csr "
			"-CA ca.pem -CAkey ca.key -force_pubkey ek.pem -extfile ca.cnf "
			"-extensions $s -set_serial 7 -days 2 -outform der -out $s.der || exit 1; done"))
		TH_LOG("%s", log_tail(self->dir));
	ASSERT_EQ(0, read_bin(self->dir, "tcg.der", der, sizeof(der), &len));
	EXPECT_EQ(0, check_cert(der, len, &self->ek, NULL, ca, NULL, &e)) TH_LOG("%s", e.msg);
	ASSERT_EQ(0, read_bin(self->dir, "unknown.der", der, sizeof(der), &len));
	EXPECT_EQ(0, check_cert(der, len, &self->ek, "unhandled critical extension",
				ca, NULL, &e)) TH_LOG("got: %s", e.msg);
	say("critical subjectDirectoryAttributes accepted; unknown critical extension refused");
}

TEST_HARNESS_MAIN
