/* layer_dense.c - Dense(units, activation, use_bias): y = act(x @ kernel + bias). */
#include "kernel.h"
#include "layer.h"
#include "model.h"

static int
parse(struct kx_layer *l, const cJSON *cfg, struct kx_parse_ctx *ctx)
{
	const cJSON *u = cJSON_GetObjectItemCaseSensitive(cfg, "units");
	const cJSON *ub = cJSON_GetObjectItemCaseSensitive(cfg, "use_bias");
	const cJSON *v;

	if (kx_json_size(u, 1, ctx->lim->max_width, &l->out) != 0)
		kx_parse_bad(ctx, "units must be an integer from 1 to %zu", ctx->lim->max_width);
	l->use_bias = ub ? cJSON_IsTrue(ub) : 1;
	kx_layer_act(ctx, cfg, "activation", "linear", 1, &l->act);
	if ((v = cJSON_GetObjectItemCaseSensitive(cfg, "lora_rank")) && !cJSON_IsNull(v))
		kx_parse_bad(ctx, "LoRA-enabled Dense layers are not supported");
	if ((v = cJSON_GetObjectItemCaseSensitive(cfg, "quantization_config")) && !cJSON_IsNull(v))
		kx_parse_bad(ctx, "quantized Dense layers are not supported");
	return ctx->bad ? -1 : 0;
}

static int
shape(struct kx_layer *l, const size_t *in_w, size_t n_in, char *msg, size_t size)
{
	size_t out = l->out;

	if (kx_layer_shape_same(l, in_w, n_in, msg, size) != 0)
		return -1;
	l->out = out;
	return 0;
}

static size_t
tensors(const struct kx_layer *l, struct kx_tensor *t)
{
	struct kx_layer *w = (struct kx_layer *)l;  /* the fields the values go to */

	t[0] = (struct kx_tensor){ "kernel", 2, { l->in, l->out, 0 }, &w->kernel };
	t[1] = (struct kx_tensor){ "bias", 1, { l->out, 0, 0 }, &w->bias };
	return l->use_bias ? 2 : 1;
}

static void
forward(const struct kx_layer *l, const float *const *x, size_t n, float *y)
{
	kx_dense_forward(l, x[0], n, y, 1);
}

static size_t
params(const struct kx_layer *l)
{
	return l->in * l->out + (l->use_bias ? l->out : 0);
}

static void
describe(const struct kx_layer *l, struct kx_layer_desc *d)
{
	d->activation = kx_act_name(l->act);
}

static const char *const classes[] = { "Dense", NULL };

const struct kx_layer_ops kx_layer_dense = {
	.kind = "Dense",
	.classes = classes,
	.parse = parse,
	.shape = shape,
	.tensors = tensors,
	.forward = forward,
	.fast = KX_FAST_MATMUL,
	.params = params,
	.describe = describe,
};
