/* layer_prelu.c - PReLU(shared_axes): y = relu(x) - alpha * relu(-x) with
 * its learned alpha (vars/0): one per feature, or one for all with
 * shared_axes [1] (alpha of shape (1,)). */
#include <stdio.h>
#include <stdlib.h>

#include "layer.h"
#include "model.h"

struct prelu {
	int shared;
	float *alpha;     /* (in), or (1) when shared */
};

static int
parse(struct kx_layer *l, const cJSON *cfg, struct kx_parse_ctx *ctx)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(cfg, "shared_axes");
	struct prelu *p;

	if (!(p = kx_layer_priv(l, sizeof *p, ctx)))
		return -1;
	if (!v || cJSON_IsNull(v))
		return 0;
	if (cJSON_IsArray(v) && cJSON_GetArraySize(v) == 1)
		v = cJSON_GetArrayItem(v, 0);
	if (!cJSON_IsNumber(v) || v->valuedouble != 1.0) {
		kx_parse_bad(ctx, "shared_axes: a (batch, features) input can share only axis 1");
		return -1;
	}
	p->shared = 1;
	return 0;
}

static size_t
tensors(const struct kx_layer *l, struct kx_tensor *t)
{
	struct prelu *p = l->priv;

	t[0] = (struct kx_tensor){ "alpha", 1, { p->shared ? 1 : l->in, 0, 0 }, &p->alpha, 0 };
	return 1;
}

/* The layer in T: float32 (forward) and float64 (forward64, alpha as
 * read); relu is numpy's maximum(x, 0): NaN stays NaN, -0 gives 0. */
#define PRELU(T, NAME, ALPHA)                                                  \
static T                                                                       \
NAME##_relu(T x)                                                               \
{                                                                              \
	return x != x ? x : x > (T)0 ? x : (T)0;                               \
}                                                                              \
                                                                               \
static void                                                                    \
NAME(const struct kx_layer *l, const T *const *x, size_t n, T *y)              \
{                                                                              \
	const struct prelu *p = l->priv;                                       \
	const T *alpha = ALPHA;                                                \
	size_t r, j, w = l->in;                                                \
                                                                               \
	for (r = 0; r < n; r++)                                                \
		for (j = 0; j < w; j++) {                                      \
			T v = x[0][r * w + j], a = alpha[p->shared ? 0 : j];   \
			y[r * w + j] = NAME##_relu(v) + -a * NAME##_relu(-v);  \
		}                                                              \
}

PRELU(float, forward, p->alpha)
PRELU(double, forward64, kx_layer_w64(l, &p->alpha))

static size_t
params(const struct kx_layer *l)
{
	const struct prelu *p = l->priv;

	return p->shared ? 1 : l->in;
}

static void
describe(const struct kx_layer *l, struct kx_layer_desc *d)
{
	const struct prelu *p = l->priv;

	snprintf(d->summary, sizeof d->summary, "%s", p->shared ? "one alpha for every feature" :
	         "one alpha per feature");
}

static const char *const classes[] = { "PReLU", NULL };

const struct kx_layer_ops kx_layer_prelu = {
	.kind = "PReLU",
	.classes = classes,
	.parse = parse,
	.shape = kx_layer_shape_same,
	.tensors = tensors,
	.forward = forward,
	.forward64 = forward64,
	.params = params,
	.describe = describe,
	.free = kx_layer_free_priv,
};
