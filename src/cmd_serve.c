/* cmd_serve.c - kanx serve-stdin (being written). */
#include <stddef.h>
#include "cli.h"
#include "err.h"
#include "kanx.h"

const struct kx_cmd kx_cmd_serve;

static const struct kx_optdef opts[] = { { NULL, 0, NULL, 0, NULL } };

static int
noop(void *ctx, int val, const char *arg)
{
	return 0;
}

static int
exec_serve(int argc, char **argv)
{
	int rc;

	if (kx_cli_parse(&kx_cmd_serve, argc, argv, noop, NULL, &rc) < 0)
		return rc;
	kx_msg("serve-stdin: not implemented yet");
	return KX_EXIT_INTERNAL;
}

const struct kx_cmd kx_cmd_serve = { "serve-stdin", "(not implemented yet)", opts, "[OPTIONS]", exec_serve };
