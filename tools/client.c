// SPDX-License-Identifier: GPL-2.0-only
/* Talking to trustnoded over its control socket, and shared output helpers. */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include "proto.h"
#include "trustctl.h"

int ctl_error(int code, const char *fmt, ...)
{
	va_list ap;

	fputs("trustctl: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return code;
}

int ctl_usage(const struct subcommand *c)
{
	fprintf(stderr, "%s", c->usage);
	return TN_EXIT_USAGE;
}

int ctl_wants_help(int argc, char **argv)
{
	int i;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--"))
			return 0;
		if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help"))
			return 1;
	}
	return 0;
}

void ctl_print_json(json_object *o)
{
	printf("%s\n", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY |
				JSON_C_TO_STRING_NOSLASHESCAPE));
}

const char *ctl_join(json_object *arr, char *buf, size_t n)
{
	size_t i, len = 0;

	buf[0] = '\0';
	for (i = 0; arr && i < json_object_array_length(arr); i++)
		len += snprintf(buf + len, len < n ? n - len : 0, "%s%s",
				i ? "," : "",
				json_object_get_string(json_object_array_get_idx(arr, i)));
	if (!buf[0])
		snprintf(buf, n, "-");
	return buf;
}

void ctl_print_reply(json_object *reply)
{
	json_object_object_del(reply, "ok");
	ctl_print_json(reply);
}

void ctl_add_path(json_object *req, const char *key, const char *path)
{
	char abs[PATH_MAX];

	if (!realpath(path, abs))
		snprintf(abs, sizeof(abs), "%s", path);
	json_object_object_add(req, key, json_object_new_string(abs));
}

json_object *ctl_request(const char *cmd)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "cmd", json_object_new_string(cmd));
	return o;
}

static const char *socket_path(void)
{
	const char *p = getenv(TN_SOCKET_ENV);

	return p && *p ? p : TN_DEFAULT_RUN_DIR "/" TN_CONTROL_SOCKET_NAME;
}

int ctl_call_quiet(json_object *req, json_object **reply)
{
	/* Only when an agent is there: no error message otherwise. */
	if (access(socket_path(), W_OK)) {
		json_object_put(req);
		*reply = NULL;
		return TN_EXIT_NO_AGENT;
	}
	return ctl_call(req, reply);
}

int ctl_call(json_object *req, json_object **reply)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	const char *path = socket_path();
	struct tn_err err;
	char *buf = NULL;
	size_t len;
	long long code;
	int fd, ret;

	*reply = NULL;
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sun, sizeof(sun))) {
		int e = errno;

		json_object_put(req);
		if (fd >= 0)
			close(fd);
		if (e == EACCES)
			return ctl_error(TN_EXIT_PERM, "permission denied on %s: run as root or as a member of the trustnode group", path);
		return ctl_error(TN_EXIT_NO_AGENT, "cannot reach trustnoded at %s (%s): is it running? (systemctl status trustnoded; or set %s)", path, strerror(e), TN_SOCKET_ENV);
	}
	ret = tn_write_message(fd, req, &err);
	json_object_put(req);
	if (ret || tn_read_message(fd, &buf, &len, 64 << 20, 30000, &err)) {
		close(fd);
		return ctl_error(TN_EXIT_NO_AGENT, "trustnoded did not answer: %s", err.msg);
	}
	close(fd);
	*reply = json_tokener_parse(buf);
	free(buf);
	if (!*reply || !json_object_is_type(*reply, json_type_object)) {
		json_object_put(*reply);
		*reply = NULL;
		return ctl_error(TN_EXIT_FAILED, "trustnoded sent a reply that is not JSON");
	}
	if (json_object_get_boolean(json_object_object_get(*reply, "ok")))
		return TN_EXIT_OK;
	if (tn_json_int(*reply, "code", &code) || code <= 0 || code > 255)
		code = TN_EXIT_FAILED;
	ret = ctl_error(code, "%s", tn_json_str(*reply, "error") ?: "request failed");
	json_object_put(*reply);
	*reply = NULL;
	return ret;
}

const char *ctl_state_dir(void)
{
	const char *s = getenv(TN_STATE_ENV);

	return s && *s ? s : TN_DEFAULT_STATE_DIR;
}
