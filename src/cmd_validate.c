/* cmd_validate.c - kanx validate (being written). */
#include <stddef.h>
#include "cli.h"
#include "err.h"
#include "kanx.h"

const struct kx_cmd kx_cmd_validate;

static const struct kx_optdef opts[] = { { NULL, 0, NULL, 0, NULL } };

static int
noop(void *ctx, int val, const char *arg)
{
	return 0;
}

static int
exec_validate(int argc, char **argv)
{
	int rc;

	if (kx_cli_parse(&kx_cmd_validate, argc, argv, noop, NULL, &rc) < 0)
		return rc;
	kx_msg("validate: not implemented yet");
	return KX_EXIT_INTERNAL;
}

const struct kx_cmd kx_cmd_validate = { "validate", "(not implemented yet)", opts, "[OPTIONS]", exec_validate };
