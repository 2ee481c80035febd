/* layer_rmsnorm.c - RMSNormalization (Keras 3.9+): y = x * (1 / sqrt(mean(x^2)
 * + epsilon)) * scale over the features of each row, in float32; variable
 * scale (features). */
#include <tgmath.h>
#include <stdio.h>
#include <stdlib.h>

#include "layer.h"
#include "model.h"

struct rmsnorm {
	float epsilon;
	double epsilon64;         /* as the config writes it (float64 policy) */
	float *scale;
};

static int
parse(struct kx_layer *l, const cJSON *cfg, struct kx_parse_ctx *ctx)
{
	struct rmsnorm *p;

	if (!(p = kx_layer_priv(l, sizeof *p, ctx)))
		return -1;
	kx_layer_last_axis(ctx, cfg, "axis");
	kx_layer_float(ctx, cfg, "epsilon", 1e-6f, &p->epsilon);
	p->epsilon64 = kx_layer_double(cfg, "epsilon", 1e-6);
	return ctx->bad ? -1 : 0;
}

static size_t
tensors(const struct kx_layer *l, struct kx_tensor *t)
{
	struct rmsnorm *p = l->priv;

	t[0] = (struct kx_tensor){ "scale", 1, { l->in, 0, 0 }, &p->scale, 0 };
	return 1;
}

/* The layer in T: float32 (forward) and float64 (forward64, its weights
 * as read and its config's numbers unrounded), Keras's operations in its
 * order (<tgmath.h> picks sqrtf or sqrt). */
#define RMSNORM(T, NAME, SCALE, EPS)                               \
static void                                                        \
NAME(const struct kx_layer *l, const T *const *x, size_t n, T *y)  \
{                                                                  \
	const struct rmsnorm *p = l->priv;                         \
	const T *scale = SCALE;                                    \
	size_t r, j, w = l->in;                                    \
                                                                   \
	for (r = 0; r < n; r++) {                                  \
		const T *xr = x[0] + r * w;                        \
		T s = (T)0, rr;                                    \
		for (j = 0; j < w; j++)                            \
			s += xr[j] * xr[j];                        \
		rr = (T)1 / sqrt(s / (T)w + EPS);                  \
		for (j = 0; j < w; j++)                            \
			y[r * w + j] = xr[j] * rr * scale[j];      \
	}                                                          \
}

RMSNORM(float, forward, p->scale, p->epsilon)
RMSNORM(double, forward64, kx_layer_w64(l, &p->scale), p->epsilon64)

static size_t
params(const struct kx_layer *l)
{
	return l->in;
}

static void
describe(const struct kx_layer *l, struct kx_layer_desc *d)
{
	const struct rmsnorm *p = l->priv;

	snprintf(d->summary, sizeof d->summary, "epsilon %.9g", (double)p->epsilon);
}

static const char *const classes[] = { "RMSNormalization", NULL };

const struct kx_layer_ops kx_layer_rmsnorm = {
	.kind = "RMSNormalization",
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
