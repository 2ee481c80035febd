/* cmd_predict.c - kanx predict (being written). */
#include <stddef.h>
#include "cli.h"
#include "err.h"
#include "kanx.h"

const struct kx_cmd kx_cmd_predict;

static const struct kx_optdef opts[] = { { NULL, 0, NULL, 0, NULL } };

static int
noop(void *ctx, int val, const char *arg)
{
	return 0;
}

static int
exec_predict(int argc, char **argv)
{
	int rc;

	if (kx_cli_parse(&kx_cmd_predict, argc, argv, noop, NULL, &rc) < 0)
		return rc;
	kx_msg("predict: not implemented yet");
	return KX_EXIT_INTERNAL;
}

const struct kx_cmd kx_cmd_predict = { "predict", "(not implemented yet)", opts, "[OPTIONS]", exec_predict };
