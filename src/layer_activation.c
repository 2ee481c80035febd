/* layer_activation.c - Activation(name): y = act(x), elementwise or, for
 * softmax and log_softmax, over each row. */
#include <string.h>

#include "layer.h"
#include "model.h"

static int
parse(struct kx_layer *l, const cJSON *cfg, struct kx_parse_ctx *ctx)
{
	return kx_layer_act(ctx, cfg, "activation", NULL, 1, &l->act);
}

static void
forward(const struct kx_layer *l, const float *const *x, size_t n, float *y)
{
	if (kx_act_is_rowwise(l->act)) {
		memcpy(y, x[0], n * l->in * sizeof *y);
		kx_act_apply_rows(l->act, y, n, l->out);
	} else {
		kx_act_apply(l->act, x[0], y, n * l->in);
	}
}

static void
describe(const struct kx_layer *l, struct kx_layer_desc *d)
{
	d->activation = kx_act_name(l->act);
}

static const char *const classes[] = { "Activation", NULL };

const struct kx_layer_ops kx_layer_activation = {
	.kind = "Activation",
	.classes = classes,
	.parse = parse,
	.shape = kx_layer_shape_same,
	.forward = forward,
	.fast = KX_FAST_ACT,
	.describe = describe,
};
