/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Remote attestation: what a node serves over HTTP and what a verifier checks.
 *
 * Roles. trustnoded holds the TPM and the node's Ed25519 identity key. It
 * execs trustnode-httpd as an unprivileged user with two descriptors: the
 * listening socket (bound by the agent) and a socketpair to the agent. The
 * front parses HTTP (libmicrohttpd), validates every request syntactically,
 * and forwards one JSON line per request over the socketpair:
 *
 *   front -> agent: {"op":"identity"}
 *                   {"op":"quote","nonce":"<hex>"}
 *                   {"op":"activate","id_object":"<hex>","encrypted_secret":"<hex>"}
 *                   {"op":"log-challenge"}
 *                   {"op":"log","since":N,"limit":M
 *                    [,"challenge":"<hex>","peer":"<hex>","sig":"<hex>"]}
 *                   (GET /v1/log/challenge and GET /v1/log: audit.h)
 *   agent -> front: {"status":<http status>,"body":{...}}
 *
 * The agent validates again (the front is the exposed process), and the
 * front writes "body" as the HTTP response, Content-Type application/json.
 *
 * HTTP API (all answers are JSON objects; errors are {"error":"<sentence>"}
 * with a 4xx or 5xx status):
 *
 *   GET  /v1/identity
 *        {"identity_key":hex(32),          Ed25519 public key
 *         "ak_public":hex,                 marshalled TPM2B_PUBLIC
 *         "ak_name":hex,                   the AK's TPM name
 *         "ek_public":hex,                 marshalled TPM2B_PUBLIC (EK template)
 *         "ek_certificate":hex | null,     DER, from the TPM's NV index
 *         "pcr":N, "quote_pcrs":[N,...], "hash":"sha256"}
 *
 *   GET  /v1/quote?nonce=<hex, TN_NONCE_MIN..TN_NONCE_MAX bytes>
 *                  [&since=K&at=<hex(32)>]
 *        since/at: the verifier has judged the first K entries of this
 *        boot's log, whose chain value (common/measure_log.h) is at. The
 *        node answers with the entries from K when its log has that chain
 *        value at K and the tail fits the limits below; otherwise from 0
 *        when the whole log fits, otherwise from its newest checkpoint, and
 *        says why in "log_note".
 *        {"nonce":hex, "identity_key":hex,
 *         "attest":hex,                    marshalled TPMS_ATTEST (the signed bytes)
 *         "signature":hex,                 marshalled TPMT_SIGNATURE
 *         "pcr_values":{"<N>":hex,...},    the quoted PCRs as read after the quote
 *         "pcr":N,                         the measurement PCR; a verifier
 *                                          requires the one it pinned at
 *                                          enrolment, and a quote selecting
 *                                          exactly the pinned PCRs (sha256)
 *         "event_log":[{"seq":S,"type":"<tn_measure type>","digest":hex(32),
 *                       "detail":"<text>","time":T},...],
 *                                          T: unix seconds, the node's clock
 *                                          (informative, like detail;
 *                                          absent in older logs)
 *                                          entries from index "log_from"
 *                                          of this boot's log (absent: 0)
 *         "log_version":2,
 *         "log_from":F, "log_entries":N,   N: entries in the boot's log now
 *         "log_note":"<why not from since>" | absent,
 *         "checkpoint":{"text":"<checkpoint JSON>","sig":hex(64)} when F > 0:
 *                                          the checkpoint the log starts
 *                                          from (entry F is its own
 *                                          log-checkpoint entry)
 *         "checkpoints":[{"text":..,"sig":..},...]
 *                                          every other checkpoint whose
 *                                          entry is in event_log
 *         "policy":"<canonical policy JSON text>",
 *         "policy_digest":hex(32)}         SHA-256 of the "policy" string
 *
 *        The quote's qualifying data is tn_qualifying_data(nonce, identity_key):
 *        a verified quote therefore also proves which identity key belongs
 *        to the measured node.
 *
 *   POST /v1/enroll  body {"id_object":hex,"encrypted_secret":hex}
 *        (TPM2_MakeCredential output for the EK, bound to the AK's name)
 *        {"secret":hex}                    what TPM2_ActivateCredential recovered
 *
 * Measurement event log: every measurement first appends one entry to the
 * log (written to disk), then extends the PCR with entry.digest, so that a
 * crash between the two leaves a log one entry ahead of the PCR, which the
 * restarted agent completes. The PCR value after entries e1..en is
 *   pcr_n = SHA-256(pcr_{n-1} || e_n.digest), pcr_0 = 32 zero bytes.
 * A verifier replays the log prefix by prefix and accepts the first prefix
 * whose value makes the quoted PCR digest: the log may run ahead of the
 * quote, never behind it. The PCR binds each entry's digest only: a
 * verifier also requires every entry's type to be known and, for seal,
 * audit-checkpoint and weakening entries, the digest their detail implies;
 * and it remembers what it judged (entries and a digest of their text) to
 * require that a later log of the same boot begins with exactly those.
 */
#ifndef TRUSTNODE_ATTEST_API_H
#define TRUSTNODE_ATTEST_API_H

/*
 * The measurement PCR. PCRs 0-15 are reset only by a platform reset, so
 * software cannot roll back what was extended (16 and 23 are resettable).
 * GRUB uses 8 and 9, IMA 10, systemd-stub 11-13 when booting a UKI,
 * shim 14, systemd 15: 13 is free on a Debian system booted by GRUB.
 */
#define TN_DEFAULT_PCR		13
#define TN_DEFAULT_TCTI		"device:/dev/tpmrm0"
/* Persistent handle for the attestation key (owner range, TCG "AK" slot). */
#define TN_DEFAULT_AK_HANDLE	0x81010002u
/*
 * The EK is the RSA 2048 EK of the TCG EK credential profile (template L-1):
 * every TPM 2.0 has one and its certificate sits at this NV index.
 */
#define TN_EK_CERT_NV_RSA	0x01c00002u

#define TN_NONCE_MIN		16
#define TN_NONCE_MAX		64
#define TN_CREDENTIAL_SECRET	32	/* bytes in an enrolment challenge */

/* HTTP front limits: anything beyond gets a 4xx and is dropped. */
#define TN_HTTP_MAX_BODY	8192
#define TN_HTTP_MAX_URL		512
#define TN_HTTP_TIMEOUT_S	5
#define TN_HTTP_MAX_CONNS	64
#define TN_HTTP_MAX_PER_IP	8
#define TN_HTTP_DEFAULT_USER	"nobody"

/* Domain separation for the quote's qualifying data. */
#define TN_QUOTE_LABEL		"trustnode-quote-v1"

/* Measurement types, in the event log's "type". */
#define TN_MEASURE_AGENT	"agent-binary"
#define TN_MEASURE_BPF		"bpf-object"
#define TN_MEASURE_MODULE	"kernel-module"
#define TN_MEASURE_POLICY	"policy"
#define TN_MEASURE_SEAL		"seal"
#define TN_MEASURE_CHECKPOINT	"audit-checkpoint"
#define TN_MEASURE_START	"agent-start"	/* reserved; refused by verifiers */
/*
 * Something done at run time that weakens enforcement (a workload's taint
 * cleared, a tag removed, trustnoded --unload); the digest is SHA-256 of the
 * detail, which says what it was. Verifiers refuse one they have not
 * accepted (trustctl peer accept).
 */
#define TN_MEASURE_WEAKENING	"weakening"

/*
 * A signed checkpoint of the measurement log (common/measure_log.h): the
 * digest is SHA-256 of the checkpoint's text, served with the quote.
 */
#define TN_MEASURE_LOGCP	"log-checkpoint"
/*
 * The agent checkpoints its log every TN_LOG_CP_EVERY entries or
 * TN_LOG_CP_EVERY_BYTES bytes of entries, and at start when that much was
 * logged since the last one. A quote's event log is at most
 * TN_QUOTE_TAIL_MAX_ENTRIES entries and TN_QUOTE_TAIL_MAX_BYTES bytes,
 * except a tail from the newest checkpoint, which these keep smaller.
 */
#define TN_LOG_CP_EVERY		128
#define TN_LOG_CP_EVERY_BYTES	(128 * 1024)
#define TN_QUOTE_TAIL_MAX_ENTRIES	1024
#define TN_QUOTE_TAIL_MAX_BYTES	(512 * 1024)

/* The seal's measurement is SHA-256 of this text (no NUL). */
#define TN_SEAL_TEXT		"trustnode.ko sealed"

#endif
