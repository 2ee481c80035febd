/* cli.h - option tables: one definition per option feeds getopt_long,
 * --help, and (through tests/docs.bats) the man pages and completions. */
#ifndef KX_CLI_H
#define KX_CLI_H

#include <stdio.h>
#include "kanx.h"

struct kx_optdef {
	const char *lng;    /* long name without "--", e.g. "max-batch"; NULL ends a table */
	int shrt;           /* short letter, or 0 */
	const char *arg;    /* argument placeholder ("N", "FILE"), or NULL for a flag */
	int val;            /* value getopt_long returns (shrt, or >= 256 for long-only) */
	const char *help;   /* one line */
};

/* Parse the command line with getopt_long. For each option, calls
 * fn(ctx, val, optarg). fn returns 0 to go on, or an exit code to stop.
 * Handles -h/--help itself (prints usage to stdout, returns -1 with
 * *exit_code = 0) and unknown options (message with the nearest valid
 * option to stderr, *exit_code = KX_EXIT_USAGE, returns -1).
 * On success returns optind (the index of the first operand). */
int kx_cli_parse(const struct kx_cmd *cmd, int argc, char **argv,
                 int (*fn)(void *ctx, int val, const char *arg), void *ctx,
                 int *exit_code);

/* Print "usage: kanx NAME SYNOPSIS" and the option list to f. */
void kx_cli_usage(FILE *f, const struct kx_cmd *cmd);

struct kx_sink;

/* Report a failed write the one way every command does:
 * "kanx: write error on NAME: REASON[; NOTE]" on standard error, where
 * NOTE is the last kx_cli_note. Says nothing when the reader of standard
 * output went away (EPIPE), as other filters do. Returns KX_EXIT_IO. */
int kx_cli_write_error(const char *name, int err);
/* The same for a sink that failed (s->err set). */
int kx_cli_sink_error(const struct kx_sink *s);

/* What the output holds if the run ends early (a write error, a signal):
 * appended to those messages, e.g. "the output ends after 1024 rows".
 * NULL (or "") clears it. */
void kx_cli_note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
const char *kx_cli_get_note(void);

/* Bounded number parsing for option values; print a usage error naming
 * the option and return KX_EXIT_USAGE on failure, 0 on success. */
int kx_cli_size(const char *opt, const char *s, size_t lo, size_t hi, size_t *out);

#endif
