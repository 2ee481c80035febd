/* cli.c - getopt_long driven by struct kx_optdef tables. */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "err.h"
#include "kxlimits.h"
#include "sink.h"
#include "typo.h"

/* The most options one command has (getopt_long's table is on the stack). */
#define KX_MAX_OPTS 64

static const struct kx_optdef kx_help_opt = { "help", 'h', NULL, 'h', "show this help and exit" };

static size_t
count_opts(const struct kx_optdef *d)
{
	size_t n = 0;
	while (d && d[n].lng)
		n++;
	return n;
}

void
kx_cli_usage(FILE *f, const struct kx_cmd *cmd)
{
	const struct kx_optdef *d;
	size_t i, n = count_opts(cmd->opts);

	fprintf(f, "usage: kanx %s %s\n", cmd->name, cmd->synopsis);
	fprintf(f, "%s\n\noptions:\n", cmd->summary);
	for (i = 0; i <= n; i++) {
		char left[64];
		d = i < n ? &cmd->opts[i] : &kx_help_opt;
		if (d->shrt)
			snprintf(left, sizeof left, "-%c, --%s%s%s", d->shrt, d->lng,
			         d->arg ? " " : "", d->arg ? d->arg : "");
		else
			snprintf(left, sizeof left, "    --%s%s%s", d->lng,
			         d->arg ? " " : "", d->arg ? d->arg : "");
		fprintf(f, "  %-26s %s\n", left, d->help);
	}
}

static void
suggest(const struct kx_cmd *cmd, const char *bad)
{
	const char *names[KX_MAX_OPTS + 2];
	const char *near;
	size_t i, n = count_opts(cmd->opts);
	const char *s = bad;

	while (*s == '-')
		s++;
	for (i = 0; i < n && i < KX_MAX_OPTS; i++)
		names[i] = cmd->opts[i].lng;
	names[i++] = "help";
	names[i] = NULL;
	{
		char buf[KX_TYPO_MAX_LEN + 2];  /* cut longer: still too long to match */
		size_t l = strcspn(s, "=");
		if (l >= sizeof buf)
			l = sizeof buf - 1;
		memcpy(buf, s, l);
		buf[l] = '\0';
		near = kx_typo_nearest(buf, names);
	}
	if (near)
		kx_msg("%s: unknown option '%s'; did you mean '--%s'?", cmd->name, bad, near);
	else
		kx_msg("%s: unknown option '%s'", cmd->name, bad);
	fprintf(stderr, "Try 'kanx %s --help'.\n", cmd->name);
}

int
kx_cli_parse(const struct kx_cmd *cmd, int argc, char **argv,
             int (*fn)(void *ctx, int val, const char *arg), void *ctx,
             int *exit_code)
{
	struct option lo[KX_MAX_OPTS + 2];
	char so[3 * KX_MAX_OPTS + 4];
	size_t n = count_opts(cmd->opts), i, sp = 0;
	int c, rc;

	if (n > KX_MAX_OPTS)
		n = KX_MAX_OPTS;
	so[sp++] = ':';  /* a missing argument returns ':', not '?' */
	for (i = 0; i < n; i++) {
		const struct kx_optdef *d = &cmd->opts[i];
		lo[i].name = d->lng;
		lo[i].has_arg = d->arg ? required_argument : no_argument;
		lo[i].flag = NULL;
		lo[i].val = d->val;
		if (d->shrt) {
			so[sp++] = (char)d->shrt;
			if (d->arg)
				so[sp++] = ':';
		}
	}
	lo[n].name = "help";
	lo[n].has_arg = no_argument;
	lo[n].flag = NULL;
	lo[n].val = 'h';
	memset(&lo[n + 1], 0, sizeof lo[n + 1]);
	so[sp++] = 'h';
	so[sp] = '\0';

	/* Options and operands may mix, as with GNU tools (getopt_long permutes). */
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, so, lo, NULL)) != -1) {
		if (c == 'h') {
			kx_cli_usage(stdout, cmd);
			*exit_code = KX_EXIT_OK;
			return -1;
		}
		if (c == '?') {
			char bad[128];
			if (optopt && optopt < 256)
				snprintf(bad, sizeof bad, "-%c", optopt);
			else
				snprintf(bad, sizeof bad, "%s", argv[optind - 1]);
			suggest(cmd, bad);
			*exit_code = KX_EXIT_USAGE;
			return -1;
		}
		if (c == ':') {
			kx_msg("%s: option '%s' needs an argument", cmd->name, argv[optind - 1]);
			fprintf(stderr, "Try 'kanx %s --help'.\n", cmd->name);
			*exit_code = KX_EXIT_USAGE;
			return -1;
		}
		rc = fn(ctx, c, optarg);
		if (rc != 0) {
			*exit_code = rc;
			return -1;
		}
	}
	return optind;
}

int
kx_cli_size(const char *opt, const char *s, size_t lo, size_t hi, size_t *out)
{
	if (kx_parse_size(s, lo, hi, out) != 0) {
		kx_msg("invalid value '%s' for %s: expected an integer from %zu to %zu", s, opt, lo, hi);
		return KX_EXIT_USAGE;
	}
	return 0;
}

static char note[256];

void
kx_cli_note(const char *fmt, ...)
{
	va_list ap;

	note[0] = '\0';
	if (!fmt)
		return;
	va_start(ap, fmt);
	vsnprintf(note, sizeof note, fmt, ap);
	va_end(ap);
}

const char *
kx_cli_get_note(void)
{
	return note;
}

int
kx_cli_write_error(const char *name, int err)
{
	if (err == EPIPE && strcmp(name, "standard output") == 0)
		return KX_EXIT_IO;  /* the reader went away: quietly */
	kx_msg("write error on %s: %s%s%s", name, strerror(err ? err : EIO), note[0] ? "; " : "", note);
	return KX_EXIT_IO;
}

int
kx_cli_sink_error(const struct kx_sink *s)
{
	return kx_cli_write_error(s->name, s->err);
}
