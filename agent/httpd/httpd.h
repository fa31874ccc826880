/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * trustnode-httpd: the unprivileged HTTP front of the attestation service
 * (include/trustnode/attest_api.h). main.c starts it, serve.c speaks HTTP
 * (libmicrohttpd), validate.c decides what is acceptable, relay.c carries
 * requests to the agent over the socketpair, one at a time.
 */
#ifndef TN_HTTPD_H
#define TN_HTTPD_H

#include <json-c/json.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>
#include "err.h"

#define TN_HTTPD_NAME			"trustnode-httpd"
/* How long the agent may take to answer: a TPM quote can be slow. */
#define TN_HTTPD_AGENT_TIMEOUT_S	10
/* Per connection: request line and headers must fit (bodies are copied out). */
#define TN_HTTPD_CONN_MEMORY		(32 * 1024)

/* One request for the agent and, once done() is called, its answer. */
struct tn_relay_job {
	json_object *msg;		/* in; not owned */
	int status;			/* out: HTTP status */
	json_object *body;		/* out: owned by the job's owner */
	/* Called from the relay thread; the job is not touched afterwards. */
	void (*done)(struct tn_relay_job *job);
	void *owner;
	struct tn_relay_job *next;
};

struct tn_relay {
	int fd;				/* the socketpair to the agent */
	int timeout_ms;
	int closed_fd;			/* written once when the agent is gone */
	pthread_mutex_t chan;		/* one exchange at a time on fd */
	/* Lines owed by the agent for requests that timed out, to discard. */
	unsigned int stale;
	pthread_mutex_t lock;		/* the queue and stopping */
	pthread_cond_t wake;
	struct tn_relay_job *head, *tail;
	bool stopping;
	pthread_t thread;
};

int tn_relay_start(struct tn_relay *r, int fd, int timeout_ms, int closed_fd,
		   struct tn_err *err);
/* Queues job; it completes with a 503 once the relay is stopping. */
void tn_relay_submit(struct tn_relay *r, struct tn_relay_job *job);
/* Sends msg and waits for the reply: fills job->status and job->body. */
void tn_relay_exchange(struct tn_relay *r, struct tn_relay_job *job);
/* Completes every queued job with a 503 and joins the relay thread. */
void tn_relay_stop(struct tn_relay *r);

struct tn_serve_options {
	int listen_fd;
	int timeout_s;			/* idle time before a client is dropped */
};

struct tn_serve;

struct tn_serve *tn_serve_start(const struct tn_serve_options *o,
				struct tn_relay *relay, struct tn_err *err);
void tn_serve_stop(struct tn_serve *s);

/* "192.0.2.1:80", "[2001:db8::1]:80" for a socket address. */
void tn_httpd_format_peer(char *buf, size_t n, const struct sockaddr *sa);

#endif
