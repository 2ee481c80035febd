/* layer_dense.c - Dense(units, activation, use_bias): y = act(x @ kernel + bias).
 *
 * With an activation that halves the width (glu), the layer is the
 * second row below, kx_layer_dense_narrow: its output is half its units,
 * and it runs on the reference path only (the loader then picks the BLIS
 * kernel for the model: model.c). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernel.h"
#include "layer.h"
#include "model.h"
#include "ref64.h"

extern const struct kx_layer_ops kx_layer_dense_narrow;

static int
parse(struct kx_layer *l, const cJSON *cfg, struct kx_parse_ctx *ctx)
{
	const cJSON *u = cJSON_GetObjectItemCaseSensitive(cfg, "units");
	const cJSON *ub = cJSON_GetObjectItemCaseSensitive(cfg, "use_bias");
	const cJSON *v;

	if (kx_json_size(u, 1, ctx->lim->max_width, &l->out) != 0)
		kx_parse_bad(ctx, "units must be an integer from 1 to %zu", ctx->lim->max_width);
	l->use_bias = ub ? cJSON_IsTrue(ub) : 1;
	l->units = l->out;
	kx_layer_act(ctx, cfg, "activation", "linear", 0, &l->act);
	if (l->act.kind == KX_ACT_GLU)
		l->ops = &kx_layer_dense_narrow;
	/* lora_rank (and lora_alpha, 3.9+) is training-only: Keras 3.3-3.16 save a
	 * LoRA-enabled Dense's kernel with the adapters merged in (kernel + a @ b,
	 * scaled) as vars/0, and zero the adapters when they load it, so it computes
	 * as a plain Dense of that kernel. Quantized kernels are refused below. */
	if ((v = cJSON_GetObjectItemCaseSensitive(cfg, "lora_rank")) && !cJSON_IsNull(v) &&
	    !(cJSON_IsNumber(v) && v->valuedouble >= 1 && v->valuedouble <= 1e9 &&
	      v->valuedouble == (double)(long)v->valuedouble))
		kx_parse_bad(ctx, "lora_rank must be a positive integer or null");
	else if (v && !cJSON_IsNull(v))
		l->lora_rank = (size_t)v->valuedouble;
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

	t[0] = (struct kx_tensor){ "kernel", 2, { l->in, l->out, 0 }, &w->kernel, 0 };
	t[1] = (struct kx_tensor){ "bias", 1, { l->out, 0, 0 }, &w->bias, 0 };
	return l->use_bias ? 2 : 1;
}

static int
kop(const struct kx_layer *l, struct kx_kop *op)
{
	*op = (struct kx_kop){ .fast = KX_FAST_MATMUL, .in = l->in, .out = l->out, .act = l->act,
	                       .kernel = l->kernel, .bias = l->bias };
	return 0;
}

/* Dense and its glu row alike: x @ kernel + bias at the kernel's width
 * (l->units), then the activation */
static void
forward64(const struct kx_layer *l, const double *const *x, size_t n, double *y)
{
	double *t = y;

	if (l->units != l->out && !(t = kx_mallocarray(n ? n : 1, l->units * sizeof *t)))
		abort();  /* as narrow_forward */
	kx_dense_forward64(l, x[0], n, t);
	if (t != y) {
		memcpy(y, t, n * l->out * sizeof *y);
		free(t);
	}
}

/* As Keras counts them: with LoRA the kernel is frozen and the adapters
 * a (in, rank) and b (rank, units) are trainable; Keras creates the
 * adapters when it loads the layer (zeroed), the file holds none. */
static size_t
lora_params(const struct kx_layer *l)
{
	return l->lora_rank * (l->in + l->units);
}

static size_t
params(const struct kx_layer *l)
{
	return (l->lora_rank ? lora_params(l) : l->in * l->units) +
	       (l->use_bias ? l->units : 0);
}

static void
describe(const struct kx_layer *l, struct kx_layer_desc *d)
{
	kx_layer_desc_act(d, l->act);
}

/* ---- units -> units / 2 (glu) ---- */

static int
narrow_shape(struct kx_layer *l, const size_t *in_w, size_t n_in, char *msg, size_t size)
{
	if (kx_layer_shape_same(l, in_w, n_in, msg, size) != 0)
		return -1;
	if (kx_act_width(l->act, l->units, &l->out) != 0) {
		snprintf(msg, size, "%s needs an even number of units, not %zu", kx_act_name(l->act),
		         l->units);
		return -1;
	}
	return 0;
}

static size_t
narrow_tensors(const struct kx_layer *l, struct kx_tensor *t)
{
	struct kx_layer *w = (struct kx_layer *)l;

	t[0] = (struct kx_tensor){ "kernel", 2, { l->in, l->units, 0 }, &w->kernel, 0 };
	t[1] = (struct kx_tensor){ "bias", 1, { l->units, 0, 0 }, &w->bias, 0 };
	return l->use_bias ? 2 : 1;
}

/* x @ kernel + bias at the full width, then the activation to y */
static void
narrow_forward(const struct kx_layer *l, const float *const *x, size_t n, float *y)
{
	struct kx_kop op;
	float *t = kx_mallocarray(n ? n : 1, l->units * sizeof *t);

	if (!t)
		abort();  /* as the reference kernels: the batch's buffers are sized up front */
	kop(l, &op);
	op.out = l->units;
	kx_act_lookup("linear", &op.act);
	kx_ref_forward(&op, x[0], n, t);
	kx_act_apply_rows(l->act, t, y, n, l->units);
	free(t);
}


static const char *const classes[] = { "Dense", NULL };
static const char *const no_classes[] = { NULL };

const struct kx_layer_ops kx_layer_dense_narrow = {
	.kind = "Dense",
	.classes = no_classes,  /* reached from kx_layer_dense's parse only */
	.parse = parse,
	.shape = narrow_shape,
	.tensors = narrow_tensors,
	.forward = narrow_forward,
	.forward64 = forward64,
	.params = params,
	.loaded_params = lora_params,
	.describe = describe,
};

const struct kx_layer_ops kx_layer_dense = {
	.kind = "Dense",
	.classes = classes,
	.parse = parse,
	.shape = shape,
	.tensors = tensors,
	.forward = kx_layer_forward_kop,
	.kop = kop,
	.forward64 = forward64,
	.params = params,
	.loaded_params = lora_params,
	.describe = describe,
};
