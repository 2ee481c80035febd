/* err.c - error values. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "err.h"

/* Messages quote names and strings from untrusted files: no control
 * character (newline, escape sequence) of theirs reaches the terminal. */
static void
scrub(char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			*s = '?';
}

void
kx_err_clear(struct kx_err *e)
{
	e->code = 0;
	e->status = 0;
	e->msg[0] = '\0';
}

int
kx_err_set(struct kx_err *e, int code, const char *fmt, ...)
{
	va_list ap;

	e->code = code;
	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof e->msg, fmt, ap);
	va_end(ap);
	scrub(e->msg);
	return -1;
}

int
kx_err_add(struct kx_err *e, int code, const char *fmt, ...)
{
	va_list ap;
	size_t len = strlen(e->msg);

	if (e->code == 0)
		e->code = code;
	if (len > 0 && len + 2 < sizeof e->msg) {
		memcpy(e->msg + len, "; ", 3);
		len += 2;
	}
	if (len + 1 < sizeof e->msg) {
		va_start(ap, fmt);
		vsnprintf(e->msg + len, sizeof e->msg - len, fmt, ap);
		va_end(ap);
		scrub(e->msg + len);
	}
	return -1;
}

void
kx_err_print(const struct kx_err *e)
{
	fprintf(stderr, "kanx: %s\n", e->msg[0] ? e->msg : "unknown error");
}

int
kx_path_is_stdin(const char *path)
{
	return path[0] == '-' && path[1] == '\0';
}

const char *
kx_path_name(const char *path)
{
	return kx_path_is_stdin(path) ? KX_STDIN_NAME : path;
}

void
kx_msg(const char *fmt, ...)
{
	va_list ap;

	fputs("kanx: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

void
kx_warn(const char *fmt, ...)
{
	va_list ap;

	fputs("kanx: warning: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}
