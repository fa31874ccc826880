// SPDX-License-Identifier: GPL-2.0-only
/*
 * The control socket: one request per connection, the caller's credentials
 * checked with SO_PEERCRED. Requests are parsed by the agent itself; they are
 * small, bounded (TN_CTL_MAX_REQUEST) and time-limited (TN_CTL_TIMEOUT_MS).
 */
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>
#include "agent.h"
#include "proto.h"
#include "trustnode/control_proto.h"

int control_listen(struct agent *a, struct tn_err *err)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	struct group *g = getgrnam(TN_READ_GROUP);
	int fd;

	if (strlen(a->socket_path) >= sizeof(sun.sun_path))
		return tn_fail(err, "socket path %s is too long", a->socket_path);
	strcpy(sun.sun_path, a->socket_path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return tn_fail_errno(err, errno, "socket");
	unlink(a->socket_path);
	if (bind(fd, (struct sockaddr *)&sun, sizeof(sun)) ||
	    chmod(a->socket_path, g ? 0660 : 0600) ||
	    (g && chown(a->socket_path, 0, g->gr_gid)) || listen(fd, 16)) {
		int e = errno;

		close(fd);
		return tn_fail_errno(err, e, "cannot listen on %s", a->socket_path);
	}
	a->listen_fd = fd;
	return 0;
}

void control_close(struct agent *a)
{
	if (a->listen_fd >= 0) {
		close(a->listen_fd);
		unlink(a->socket_path);
	}
	a->listen_fd = -1;
}

/* Root may change things; the trustnode group may only look. */
static int caller_privilege(int fd, int *privileged)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);
	struct group *g;
	struct passwd *pw;
	gid_t groups[256];
	int n = 256, i;

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len))
		return -1;
	*privileged = cred.uid == 0;
	if (cred.uid == 0)
		return 0;
	g = getgrnam(TN_READ_GROUP);
	if (!g)
		return -1;
	if (cred.gid == g->gr_gid)
		return 0;
	pw = getpwuid(cred.uid);
	if (pw && getgrouplist(pw->pw_name, pw->pw_gid, groups, &n) >= 0)
		for (i = 0; i < n; i++)
			if (groups[i] == g->gr_gid)
				return 0;
	return -1;
}

static json_object *error_reply(int code, const char *msg)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "ok", json_object_new_boolean(0));
	json_object_object_add(o, "code", json_object_new_int(code));
	json_object_object_add(o, "error", json_object_new_string(msg));
	return o;
}

void control_accept(struct agent *a)
{
	struct tn_err err;
	json_object *req, *reply;
	char *buf = NULL;
	size_t len;
	struct tn_caller caller;
	int privileged = 0;
	int fd = accept4(a->listen_fd, NULL, NULL, SOCK_CLOEXEC);

	if (fd < 0)
		return;
	caller_identify(a, fd, &caller);
	if (caller_privilege(fd, &privileged)) {
		reply = error_reply(TN_EXIT_PERM, "permission denied: trustctl needs root, or membership in the trustnode group for read-only commands");
	} else if (tn_read_message(fd, &buf, &len, TN_CTL_MAX_REQUEST,
				   TN_CTL_TIMEOUT_MS, &err)) {
		reply = error_reply(TN_EXIT_INVALID, err.msg);
	} else if (!(req = tn_parse_request(buf, len, &err))) {
		reply = error_reply(TN_EXIT_INVALID, err.msg);
	} else {
		a->caller = &caller;
		reply = requests_dispatch(a, req, privileged);
		a->caller = NULL;
		json_object_put(req);
	}
	free(buf);
	tn_write_message(fd, reply, &err);
	json_object_put(reply);
	close(fd);
}
