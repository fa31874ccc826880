// SPDX-License-Identifier: GPL-2.0-only
/*
 * The HTTP side: libmicrohttpd on the agent's listening socket, one
 * internal epoll thread, bounded connections, memory and time. Each
 * request is checked by validate.c as it arrives, its head before any body
 * is read; an accepted one goes to the relay and its connection is
 * suspended until the agent answered, so the polling thread never waits.
 */
#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "httpd.h"
#include "trustnode/attest_api.h"
#include "validate.h"

struct tn_serve {
	struct MHD_Daemon *mhd;
	struct tn_relay *relay;
};

/* One client connection: counted so that one without a request is logged. */
struct connection {
	unsigned int requests;
};

/* One HTTP request, from its request line to its log line. */
struct request {
	struct tn_serve *s;
	struct MHD_Connection *conn;
	char *target;			/* raw, as sent */
	char peer[INET6_ADDRSTRLEN + 16];
	char method[16];		/* for the log */
	bool started;			/* the head was checked */
	bool relaying;			/* handed to the relay */
	struct tn_http_req req;
	char *body;
	size_t body_len;
	struct tn_relay_job job;
	int status;			/* what was answered; 0: nothing */
};

void tn_httpd_format_peer(char *buf, size_t n, const struct sockaddr *sa)
{
	char a[INET6_ADDRSTRLEN];

	if (sa && sa->sa_family == AF_INET) {
		const struct sockaddr_in *sin = (const void *)sa;

		inet_ntop(AF_INET, &sin->sin_addr, a, sizeof(a));
		snprintf(buf, n, "%s:%u", a, ntohs(sin->sin_port));
	} else if (sa && sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *sin6 = (const void *)sa;

		inet_ntop(AF_INET6, &sin6->sin6_addr, a, sizeof(a));
		snprintf(buf, n, "[%s]:%u", a, ntohs(sin6->sin6_port));
	} else {
		snprintf(buf, n, "unknown");
	}
}

static __attribute__((format(printf, 2, 0)))
void mhd_log(void *cls, const char *fmt, va_list ap)
{
	fputs(TN_HTTPD_NAME ": libmicrohttpd: ", stderr);
	vfprintf(stderr, fmt, ap);
}

static enum MHD_Result respond(struct request *rq, int status,
			       json_object *body, const char *allow)
{
	static const char oom[] = "{\"error\":\"trustnode-httpd is out of memory\"}";
	const char *text = NULL;
	struct MHD_Response *resp;
	enum MHD_Result ret;
	size_t len = 0;

	if (body)
		text = json_object_to_json_string_length(body,
				JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, &len);
	if (!text) {
		status = 500;
		text = oom;
		len = sizeof(oom) - 1;
	}
	resp = MHD_create_response_from_buffer(len, (void *)text, MHD_RESPMEM_MUST_COPY);
	if (!resp)
		return MHD_NO;
	if (MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json") != MHD_YES ||
	    MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store") != MHD_YES ||
	    MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff") != MHD_YES ||
	    (allow && MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, allow) != MHD_YES)) {
		MHD_destroy_response(resp);
		return MHD_NO;
	}
	ret = MHD_queue_response(rq->conn, status, resp);
	MHD_destroy_response(resp);
	if (ret == MHD_YES)
		rq->status = status;
	return ret;
}

/* Queued before the body is read, a refusal also stops its reading. */
static enum MHD_Result refuse(struct request *rq, const struct tn_http_refusal *no)
{
	json_object *body = tn_http_error_body(no->err.msg);
	enum MHD_Result ret;

	ret = respond(rq, no->status, body, no->allow[0] ? no->allow : NULL);
	json_object_put(body);
	return ret;
}

/* Relay thread: the agent answered (or failed); let MHD call us again. */
static void relayed(struct tn_relay_job *job)
{
	struct request *rq = job->owner;

	MHD_resume_connection(rq->conn);
}

static void on_connection(void *cls, struct MHD_Connection *conn,
			  void **socket_context,
			  enum MHD_ConnectionNotificationCode toe)
{
	struct connection *c = *socket_context;
	const union MHD_ConnectionInfo *ci;
	char peer[INET6_ADDRSTRLEN + 16];

	if (toe == MHD_CONNECTION_NOTIFY_STARTED) {
		*socket_context = calloc(1, sizeof(struct connection));
		return;
	}
	/* Garbage, a scanner, a client too slow to send a request line. */
	if (c && !c->requests) {
		ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
		tn_httpd_format_peer(peer, sizeof(peer), ci ? ci->client_addr : NULL);
		fprintf(stderr, TN_HTTPD_NAME ": - - - from %s (closed without a request line)\n",
			peer);
	}
	free(c);
	*socket_context = NULL;
}

static void *on_uri(void *cls, const char *uri, struct MHD_Connection *conn)
{
	const union MHD_ConnectionInfo *ci;
	struct request *rq = calloc(1, sizeof(*rq));

	ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
	if (ci && ci->socket_context)
		((struct connection *)ci->socket_context)->requests++;
	if (!rq)
		return NULL;
	rq->s = cls;
	rq->conn = conn;
	/* MHD unescapes its copy in place: validate what was sent. */
	rq->target = strdup(uri ? uri : "");
	snprintf(rq->method, sizeof(rq->method), "-");
	ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	tn_httpd_format_peer(rq->peer, sizeof(rq->peer), ci ? ci->client_addr : NULL);
	return rq;
}

static enum MHD_Result start(struct request *rq, const char *method)
{
	struct tn_http_refusal no;
	struct tn_http_head head = {
		.method = method,
		.target = rq->target,
		.content_type = MHD_lookup_connection_value(rq->conn, MHD_HEADER_KIND,
					MHD_HTTP_HEADER_CONTENT_TYPE),
		.content_length = MHD_lookup_connection_value(rq->conn, MHD_HEADER_KIND,
					MHD_HTTP_HEADER_CONTENT_LENGTH),
		.transfer_encoding = MHD_lookup_connection_value(rq->conn, MHD_HEADER_KIND,
					MHD_HTTP_HEADER_TRANSFER_ENCODING),
	};

	rq->started = true;
	snprintf(rq->method, sizeof(rq->method), "%s", method);
	if (tn_http_check_head(&head, &rq->req, &no))
		return refuse(rq, &no);
	if (rq->req.body_len) {
		rq->body = malloc(rq->req.body_len);
		if (!rq->body) {
			no.status = 500;
			snprintf(no.err.msg, sizeof(no.err.msg), "trustnode-httpd is out of memory");
			no.allow[0] = '\0';
			return refuse(rq, &no);
		}
	}
	return MHD_YES;
}

/*
 * Called once with the head, once per piece of body, once at the end, and
 * once more after the relay resumed the connection.
 */
static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn,
				  const char *url, const char *method,
				  const char *version, const char *upload_data,
				  size_t *upload_data_size, void **req_cls)
{
	struct request *rq = *req_cls;
	struct tn_http_refusal no;

	/* No request state (out of memory): drop the connection. */
	if (!rq || !rq->target)
		return MHD_NO;
	if (!rq->started)
		return start(rq, method);
	if (*upload_data_size) {
		/* MHD stops at Content-Length, which check_head bounded. */
		if (*upload_data_size > rq->req.body_len - rq->body_len)
			return MHD_NO;
		memcpy(rq->body + rq->body_len, upload_data, *upload_data_size);
		rq->body_len += *upload_data_size;
		*upload_data_size = 0;
		return MHD_YES;
	}
	if (rq->relaying)
		return respond(rq, rq->job.status, rq->job.body, NULL);
	if (tn_http_check_body(&rq->req, rq->body, rq->body_len, &no))
		return refuse(rq, &no);
	rq->relaying = true;
	rq->job.msg = rq->req.relay;
	rq->job.done = relayed;
	rq->job.owner = rq;
	/* Suspended first, so that done() always finds it suspended. */
	MHD_suspend_connection(conn);
	tn_relay_submit(rq->s->relay, &rq->job);
	return MHD_YES;
}

static const char *termination(enum MHD_RequestTerminationCode toe)
{
	switch (toe) {
	case MHD_REQUEST_TERMINATED_TIMEOUT_REACHED:
		return "timed out";
	case MHD_REQUEST_TERMINATED_CLIENT_ABORT:
		return "client closed the connection";
	case MHD_REQUEST_TERMINATED_READ_ERROR:
		return "read error";
	case MHD_REQUEST_TERMINATED_DAEMON_SHUTDOWN:
		return "shutting down";
	case MHD_REQUEST_TERMINATED_COMPLETED_OK:
		return "no response";
	default:
		return "malformed request";
	}
}

/* The path for the log: no query (nonces), bounded, printable. */
static void log_path(const char *target, char *buf, size_t n)
{
	size_t o = 0;

	for (const char *p = target; *p && *p != '?' && o + 4 < n; p++) {
		unsigned char c = *p;

		if (c > 0x20 && c < 0x7f && c != '%')
			buf[o++] = c;
		else
			o += snprintf(buf + o, n - o, "%%%02X", c);
	}
	if (!o)
		buf[o++] = '-';
	buf[o] = '\0';
}

static void on_completed(void *cls, struct MHD_Connection *conn,
			 void **req_cls, enum MHD_RequestTerminationCode toe)
{
	struct request *rq = *req_cls;
	char path[100];

	if (!rq)
		return;
	log_path(rq->target ? rq->target : "", path, sizeof(path));
	if (rq->status)
		fprintf(stderr, TN_HTTPD_NAME ": %s %s %d from %s\n",
			rq->method, path, rq->status, rq->peer);
	else
		fprintf(stderr, TN_HTTPD_NAME ": %s %s - from %s (%s)\n",
			rq->method, path, rq->peer, termination(toe));
	tn_http_req_release(&rq->req);
	json_object_put(rq->job.body);
	free(rq->body);
	free(rq->target);
	free(rq);
	*req_cls = NULL;
}

struct tn_serve *tn_serve_start(const struct tn_serve_options *o,
				struct tn_relay *relay, struct tn_err *err)
{
	unsigned int flags = MHD_USE_EPOLL_INTERNAL_THREAD |
			     MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ERROR_LOG;
	struct tn_serve *s = calloc(1, sizeof(*s));
	socklen_t len = sizeof(int);
	int domain = 0;

	if (!s) {
		tn_fail(err, "out of memory");
		return NULL;
	}
	s->relay = relay;
	if (!getsockopt(o->listen_fd, SOL_SOCKET, SO_DOMAIN, &domain, &len) &&
	    domain == AF_INET6)
		flags |= MHD_USE_IPv6;
	s->mhd = MHD_start_daemon(flags, 0, NULL, NULL, on_request, s,
		MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL,
		MHD_OPTION_LISTEN_SOCKET, (MHD_socket)o->listen_fd,
		MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)o->timeout_s,
		MHD_OPTION_CONNECTION_LIMIT, (unsigned int)TN_HTTP_MAX_CONNS,
		MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned int)TN_HTTP_MAX_PER_IP,
		MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)TN_HTTPD_CONN_MEMORY,
		MHD_OPTION_STRICT_FOR_CLIENT, 1,
		MHD_OPTION_URI_LOG_CALLBACK, on_uri, s,
		MHD_OPTION_NOTIFY_COMPLETED, on_completed, s,
		MHD_OPTION_NOTIFY_CONNECTION, on_connection, s,
		MHD_OPTION_END);
	if (!s->mhd) {
		free(s);
		tn_fail(err, "libmicrohttpd did not start on descriptor %d (see its message above)",
			o->listen_fd);
		return NULL;
	}
	return s;
}

/*
 * Stops accepting, gives answers already on their way up to a second to
 * go out (the relay completed or failed every request before this), then
 * closes what is left.
 */
void tn_serve_stop(struct tn_serve *s)
{
	MHD_socket listen_fd = MHD_quiesce_daemon(s->mhd);
	const union MHD_DaemonInfo *info;

	for (int i = 0; i < 20; i++) {
		info = MHD_get_daemon_info(s->mhd, MHD_DAEMON_INFO_CURRENT_CONNECTIONS);
		if (!info || !info->num_connections)
			break;
		usleep(50 * 1000);
	}
	MHD_stop_daemon(s->mhd);
	if (listen_fd != MHD_INVALID_SOCKET)
		close(listen_fd);
	free(s);
}
