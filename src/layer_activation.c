/* layer_activation.c - Activation(name or object): y = act(x), elementwise
 * or over each row (softmax, sparsemax, glu, which halves the width). */
#include <stdio.h>

#include "layer.h"
#include "model.h"
#include "ref64.h"

static int
parse(struct kx_layer *l, const cJSON *cfg, struct kx_parse_ctx *ctx)
{
	return kx_layer_act(ctx, cfg, "activation", NULL, 0, &l->act);
}

int
kx_layer_act_shape(struct kx_layer *l, const size_t *in_w, size_t n_in, char *msg, size_t size)
{
	if (kx_layer_shape_same(l, in_w, n_in, msg, size) != 0)
		return -1;
	if (kx_act_width(l->act, l->in, &l->out) != 0) {
		snprintf(msg, size, "%s needs an even width, and the previous layer gives %zu",
		         kx_act_name(l->act), l->in);
		return -1;
	}
	return 0;
}

int
kx_layer_act_kop(const struct kx_layer *l, struct kx_kop *op)
{
	*op = (struct kx_kop){ .fast = KX_FAST_ACT, .in = l->in, .out = l->out, .act = l->act };
	return 0;
}

void
kx_layer_act_forward64(const struct kx_layer *l, const double *const *x, size_t n, double *y)
{
	kx_act_apply_rows64(l->act, x[0], y, n, l->in);
}

void
kx_layer_act_describe(const struct kx_layer *l, struct kx_layer_desc *d)
{
	kx_layer_desc_act(d, l->act);
}

static const char *const classes[] = { "Activation", NULL };

const struct kx_layer_ops kx_layer_activation = {
	.kind = "Activation",
	.classes = classes,
	.parse = parse,
	.shape = kx_layer_act_shape,
	.forward = kx_layer_forward_kop,
	.kop = kx_layer_act_kop,
	.forward64 = kx_layer_act_forward64,
	.describe = kx_layer_act_describe,
};
