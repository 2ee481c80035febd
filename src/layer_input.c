/* layer_input.c - InputLayer: the model's input, not a node. Its shape
 * must be [null, features]. */
#include "layer.h"
#include "model.h"

static int
parse(struct kx_layer *l, const cJSON *cfg, struct kx_parse_ctx *ctx)
{
	const cJSON *bs = cJSON_GetObjectItemCaseSensitive(cfg, "batch_shape");

	if (!bs)
		bs = cJSON_GetObjectItemCaseSensitive(cfg, "batch_input_shape");
	if (kx_json_shape_last(bs, ctx->lim, &l->out) != 0) {
		kx_parse_bad(ctx, "input shape must be [null, features]");
		return -1;
	}
	l->in = l->out;
	return 0;
}

static const char *const classes[] = { "InputLayer", NULL };

const struct kx_layer_ops kx_layer_input = {
	.kind = "InputLayer",
	.classes = classes,
	.is_input = 1,
	.parse = parse,
	.shape = kx_layer_shape_same,
};
