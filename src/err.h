/* err.h - the exit statuses, and error values passed up from the lower
 * layers.
 *
 * A struct kx_err carries one message (possibly several lines joined by
 * "; ") and the exit class it belongs to. Lower layers fill it and return
 * -1 or NULL; they never print. */
#ifndef KX_ERR_H
#define KX_ERR_H

#include <stddef.h>

/* Exit statuses: documented in kanx(1), EXIT STATUS. Keep the two in step. */
enum kx_exit {
	KX_EXIT_OK = 0,        /* success; validate: everything sound */
	KX_EXIT_PROBLEMS = 1,  /* validate: problems were found */
	KX_EXIT_USAGE = 2,     /* bad command line */
	KX_EXIT_NOMODEL = 3,   /* model file not found or unreadable (404 class) */
	KX_EXIT_BADMODEL = 4,  /* model invalid or unsupported */
	KX_EXIT_BADINPUT = 5,  /* bad input row or request (400 class) */
	KX_EXIT_TOOBIG = 6,    /* batch over the max batch (413 class) */
	KX_EXIT_IO = 7,        /* I/O error, including a failed write to stdout */
	KX_EXIT_INTERNAL = 8   /* out of memory or an internal error */
};

/* The longest message a struct kx_err holds, NUL included (longer ones are cut). */
#define KX_ERR_MAX 4096

struct kx_err {
	int code;              /* an enum kx_exit value; 0 = no error */
	int status;            /* the REST API's HTTP-like status (400, 404, 413, 422, 503), or 0 */
	char msg[KX_ERR_MAX];  /* "FILE:member: message" style, no "kanx: " prefix */
};

/* Reset to "no error". */
void kx_err_clear(struct kx_err *e);

/* Set the error (replacing any previous one). Returns -1 for convenience. */
int kx_err_set(struct kx_err *e, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Append another problem to the message, separated by "; ". Keeps the
 * first code unless none was set. Returns -1. */
int kx_err_add(struct kx_err *e, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* The name standard input has in every message ("<stdin>:3:1: ...");
 * "-" on the command line. */
#define KX_STDIN_NAME "<stdin>"

/* True when a path argument means standard input ("-"). */
int kx_path_is_stdin(const char *path);

/* The name of a path argument in messages: KX_STDIN_NAME for "-", else
 * the path itself. */
const char *kx_path_name(const char *path);

/* Print "kanx: MSG\n" to stderr. */
void kx_err_print(const struct kx_err *e);

/* Print "kanx: " + formatted message + "\n" to stderr (for commands). */
void kx_msg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Print "kanx: warning: " + formatted message + "\n" to stderr. */
void kx_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
