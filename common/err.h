/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * One error-reporting convention for all of trustnode's userspace: a function
 * that can fail takes a struct tn_err, fills it with a sentence that names the
 * problem (and, where there is one, what to do), and returns -1. Only the
 * outermost caller prints it, once.
 */
#ifndef TN_ERR_H
#define TN_ERR_H

#include <stdarg.h>

struct tn_err {
	char msg[1024];
	int errnum;	/* the errno behind msg, when there is one */
};

/* Sets err->msg from fmt and returns -1, so callers can "return tn_fail()". */
int tn_fail(struct tn_err *err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* As tn_fail, appending ": strerror(errnum)". */
int tn_fail_errno(struct tn_err *err, int errnum, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif
