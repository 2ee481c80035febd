/* kanx.h - the command table shared by main.c and cmd_*.c.
 *
 * Only main.c and the cmd_*.c files print to the user or choose an exit
 * status (enum kx_exit, err.h); every lower layer returns -1/NULL with a
 * struct kx_err filled in. */
#ifndef KANX_H
#define KANX_H

#include "err.h"

/* One subcommand (tmux-style descriptor). */
struct kx_cmd {
	const char *name;
	const char *summary;                 /* one line, for kanx --help */
	const struct kx_optdef *opts;        /* NULL-name terminated, see cli.h */
	const char *synopsis;                /* after "kanx NAME " */
	int (*exec)(int argc, char **argv);  /* returns an enum kx_exit value (err.h) */
};

extern const struct kx_cmd kx_cmd_inspect;
extern const struct kx_cmd kx_cmd_predict;
extern const struct kx_cmd kx_cmd_validate;
extern const struct kx_cmd kx_cmd_serve;

#endif
