/* layer_concatenate.c - Concatenate: its inputs side by side on the features axis
 * (-1 or 1 of (batch, features) rows; any other axis is refused). */
#include "layer.h"
#include "model.h"

static int
parse(struct kx_layer *l, const cJSON *cfg, struct kx_parse_ctx *ctx)
{
	if (kx_merge_parse(l, cfg, ctx) != 0)
		return -1;
	return kx_layer_last_axis(ctx, cfg, "axis");
}

static const char *const classes[] = { "Concatenate", NULL };

const struct kx_layer_ops kx_layer_concatenate = {
	.kind = "Concatenate",
	.classes = classes,
	.parse = parse,
	.shape = kx_merge_concat_shape,
	.forward = kx_merge_concat,
	.forward64 = kx_merge_concat64,
	.free = kx_layer_free_priv,
};
