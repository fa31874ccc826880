// SPDX-License-Identifier: GPL-2.0-only
/*
 * The socketpair to the agent: one JSON line out per request, one line
 * back (attest.h), one exchange at a time. A relay thread drains a queue of
 * jobs so that libmicrohttpd's polling thread never waits on the TPM:
 * serve.c suspends the connection and resumes it from job->done().
 *
 * A reply that comes too late is still owed: it is counted in r->stale and
 * read and dropped before the next request is sent, so that no client ever
 * gets the answer to another client's request.
 */
#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include "httpd.h"
#include "proto.h"
#include "validate.h"

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

static void answer(struct tn_relay_job *job, int status, const char *msg)
{
	job->status = status;
	job->body = tn_http_error_body(msg);
}

/* Tells main.c that the agent is gone or out of step: time to exit. */
static void agent_gone(struct tn_relay *r, const char *why)
{
	uint64_t one = 1;
	bool stopping;

	pthread_mutex_lock(&r->lock);
	stopping = r->stopping;
	pthread_mutex_unlock(&r->lock);
	/* When stopping, tn_relay_stop() closed the channel itself. */
	if (stopping)
		return;
	fprintf(stderr, TN_HTTPD_NAME ": agent: %s; shutting down\n", why);
	if (write(r->closed_fd, &one, sizeof(one)) < 0)
		fprintf(stderr, TN_HTTPD_NAME ": cannot signal shutdown: %s\n",
			strerror(errno));
}

/*
 * Consumes exactly one line, whatever its length, by peeking for the
 * newline first. Returns 0, 1 at EOF, -1 when nothing came by deadline.
 */
static int discard_line(int fd, long long deadline)
{
	char buf[4096];

	for (;;) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		long long left = deadline - now_ms();
		ssize_t n;
		char *nl;

		if (left <= 0)
			return -1;
		if (poll(&pfd, 1, left) < 0 && errno != EINTR)
			return -1;
		n = recv(fd, buf, sizeof(buf), MSG_PEEK | MSG_DONTWAIT);
		if (n == 0)
			return 1;
		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR)
				continue;
			return 1;
		}
		nl = memchr(buf, '\n', n);
		if (nl)
			n = nl - buf + 1;
		if (recv(fd, buf, n, MSG_DONTWAIT) != n)
			return 1;
		if (nl)
			return 0;
	}
}

static void exchange_locked(struct tn_relay *r, struct tn_relay_job *job)
{
	long long deadline = now_ms() + r->timeout_ms;
	struct tn_err err = { .msg = "" };
	char *buf = NULL;
	size_t len = 0;
	int ret;

	while (r->stale) {
		ret = discard_line(r->fd, deadline);
		if (ret > 0)
			goto closed;
		if (ret < 0) {
			fprintf(stderr, TN_HTTPD_NAME ": agent: still no reply to an earlier request\n");
			answer(job, 504, "the agent is still busy with an earlier request");
			return;
		}
		r->stale--;
	}
	/* Nothing is owed now: whatever is there was never asked for. */
	while (poll(&(struct pollfd){ .fd = r->fd, .events = POLLIN }, 1, 0) == 1) {
		ret = discard_line(r->fd, now_ms() + 100);
		if (ret > 0)
			goto closed;
		fprintf(stderr, TN_HTTPD_NAME ": agent: dropped a line nobody asked for\n");
		if (ret < 0)
			break;
	}
	if (tn_write_message(r->fd, job->msg, &err))
		goto closed;
	deadline = now_ms() + r->timeout_ms;
	if (tn_read_message(r->fd, &buf, &len, TN_HTTPD_MAX_REPLY,
			    r->timeout_ms, &err)) {
		/* A timeout consumed no newline: the reply is still owed. */
		if (!err.errnum && now_ms() >= deadline) {
			r->stale++;
			fprintf(stderr, TN_HTTPD_NAME ": agent: no reply within %d ms\n",
				r->timeout_ms);
			answer(job, 504, "the agent did not answer in time");
			return;
		}
		/*
		 * Too long or unreadable: where the next reply starts is
		 * unknown, so no later answer could be trusted to be the
		 * right one. Exiting closes the socketpair for the agent.
		 */
		answer(job, 502, "the agent's reply could not be read; trustnode-httpd is shutting down");
		agent_gone(r, err.msg);
		return;
	}
	/* EOF, possibly in the middle of a line. */
	if (!len || buf[len - 1] != '\n') {
		free(buf);
		goto closed;
	}
	ret = tn_http_parse_reply(buf, len, &job->status, &job->body, &err);
	free(buf);
	if (ret) {
		fprintf(stderr, TN_HTTPD_NAME ": agent: malformed reply: %s\n", err.msg);
		answer(job, 502, "the agent sent a malformed reply");
	}
	return;
closed:
	answer(job, 503, "the agent closed its connection; trustnode-httpd is shutting down");
	agent_gone(r, err.msg[0] ? err.msg : "it closed the connection");
}

void tn_relay_exchange(struct tn_relay *r, struct tn_relay_job *job)
{
	pthread_mutex_lock(&r->chan);
	exchange_locked(r, job);
	pthread_mutex_unlock(&r->chan);
}

static void *relay_thread(void *arg)
{
	struct tn_relay *r = arg;

	for (;;) {
		struct tn_relay_job *job;
		bool stopping;

		pthread_mutex_lock(&r->lock);
		while (!r->head && !r->stopping)
			pthread_cond_wait(&r->wake, &r->lock);
		job = r->head;
		if (job) {
			r->head = job->next;
			if (!r->head)
				r->tail = NULL;
		}
		stopping = r->stopping;
		pthread_mutex_unlock(&r->lock);
		if (!job)
			break;
		if (stopping)
			answer(job, 503, "trustnode-httpd is shutting down");
		else
			tn_relay_exchange(r, job);
		job->done(job);
	}
	return NULL;
}

int tn_relay_start(struct tn_relay *r, int fd, int timeout_ms, int closed_fd,
		   struct tn_err *err)
{
	int e;

	memset(r, 0, sizeof(*r));
	r->fd = fd;
	r->timeout_ms = timeout_ms;
	r->closed_fd = closed_fd;
	pthread_mutex_init(&r->chan, NULL);
	pthread_mutex_init(&r->lock, NULL);
	pthread_cond_init(&r->wake, NULL);
	e = pthread_create(&r->thread, NULL, relay_thread, r);
	if (e)
		return tn_fail_errno(err, e, "cannot start the relay thread");
	return 0;
}

void tn_relay_submit(struct tn_relay *r, struct tn_relay_job *job)
{
	job->next = NULL;
	pthread_mutex_lock(&r->lock);
	if (r->stopping) {
		pthread_mutex_unlock(&r->lock);
		answer(job, 503, "trustnode-httpd is shutting down");
		job->done(job);
		return;
	}
	if (r->tail)
		r->tail->next = job;
	else
		r->head = job;
	r->tail = job;
	pthread_cond_signal(&r->wake);
	pthread_mutex_unlock(&r->lock);
}

void tn_relay_stop(struct tn_relay *r)
{
	pthread_mutex_lock(&r->lock);
	r->stopping = true;
	pthread_cond_broadcast(&r->wake);
	pthread_mutex_unlock(&r->lock);
	/* Ends an exchange in progress at once: its read sees EOF. */
	shutdown(r->fd, SHUT_RDWR);
	pthread_join(r->thread, NULL);
}
