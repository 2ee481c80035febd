/* kanx.h - exit codes and the command table shared by main.c and cmd_*.c.
 *
 * Only main.c and the cmd_*.c files print to the user or choose an exit
 * status; every lower layer returns -1/NULL with a struct kx_err filled in. */
#ifndef KANX_H
#define KANX_H

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

/* One subcommand (tmux-style descriptor). */
struct kx_cmd {
	const char *name;
	const char *summary;                 /* one line, for kanx --help */
	const struct kx_optdef *opts;        /* NULL-name terminated, see cli.h */
	const char *synopsis;                /* after "kanx NAME " */
	int (*exec)(int argc, char **argv);  /* returns an enum kx_exit value */
};

extern const struct kx_cmd kx_cmd_inspect;
extern const struct kx_cmd kx_cmd_predict;
extern const struct kx_cmd kx_cmd_validate;
extern const struct kx_cmd kx_cmd_serve;

#endif
