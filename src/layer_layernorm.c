/* layer_layernorm.c - LayerNormalization over the features of each row,
 * in float32 as Keras's NumPy backend computes it: mean and variance as
 * E[x^2] - E[x]^2, inv = 1 / sqrt(var + epsilon) (* gamma), y = x * inv +
 * (-mean * inv (+ beta)). rms_scaling (Keras 3.8+; 3.3 does not save it):
 * y = x * (1 / sqrt(var(x) + epsilon)) * gamma, var the two-pass variance.
 * Variables gamma (scale or rms_scaling), beta (center, not rms_scaling). */
#include <tgmath.h>
#include <stdio.h>
#include <stdlib.h>

#include "layer.h"
#include "model.h"

struct layernorm {
	int center, scale, rms;
	float epsilon;
	double epsilon64;         /* as the config writes it (float64 policy) */
	float *gamma, *beta;
};

static int
parse(struct kx_layer *l, const cJSON *cfg, struct kx_parse_ctx *ctx)
{
	struct layernorm *p;

	if (!(p = kx_layer_priv(l, sizeof *p, ctx)))
		return -1;
	kx_layer_last_axis(ctx, cfg, "axis");
	p->center = kx_layer_bool(ctx, cfg, "center", 1);
	p->scale = kx_layer_bool(ctx, cfg, "scale", 1);
	p->rms = kx_layer_bool(ctx, cfg, "rms_scaling", 0);
	kx_layer_float(ctx, cfg, "epsilon", 1e-3f, &p->epsilon);
	p->epsilon64 = kx_layer_double(cfg, "epsilon", 1e-3);
	return ctx->bad ? -1 : 0;
}

static size_t
tensors(const struct kx_layer *l, struct kx_tensor *t)
{
	struct layernorm *p = l->priv;
	size_t n = 0;

	if (p->scale || p->rms)
		t[n++] = (struct kx_tensor){ "gamma", 1, { l->in, 0, 0 }, &p->gamma, 0 };
	if (p->center && !p->rms)
		t[n++] = (struct kx_tensor){ "beta", 1, { l->in, 0, 0 }, &p->beta, 0 };
	return n;
}

/* The layer in T: float32 (forward) and float64 (forward64, its weights
 * as read, epsilon as the config writes it), numpy's operations in its
 * order (the mean a plain sum divided by w; <tgmath.h> picks sqrtf or
 * sqrt). */
#define LAYERNORM(T, NAME, GAMMA, BETA, EPS)                               \
static void                                                                \
NAME(const struct kx_layer *l, const T *const *x, size_t n, T *y)          \
{                                                                          \
	const struct layernorm *p = l->priv;                               \
	const T *gamma = GAMMA, *beta = BETA;                              \
	size_t r, j, w = l->in;                                            \
                                                                           \
	for (r = 0; r < n; r++) {                                          \
		const T *xr = x[0] + r * w;                                \
		T *yr = y + r * w, mean = (T)0, sq = (T)0, var, inv, res;  \
		for (j = 0; j < w; j++)                                    \
			mean += xr[j];                                     \
		mean = mean / (T)w;                                        \
		if (p->rms) {                                              \
			for (j = 0; j < w; j++)                            \
				sq += (xr[j] - mean) * (xr[j] - mean);     \
			inv = (T)1 / sqrt(sq / (T)w + EPS);                \
			for (j = 0; j < w; j++)                            \
				yr[j] = xr[j] * inv * gamma[j];            \
			continue;                                          \
		}                                                          \
		for (j = 0; j < w; j++)                                    \
			sq += xr[j] * xr[j];                               \
		var = sq / (T)w - mean * mean;                             \
		inv = (T)1 / sqrt(var + EPS);                              \
		for (j = 0; j < w; j++) {                                  \
			T iv = p->scale ? inv * gamma[j] : inv;            \
			res = -mean * iv;                                  \
			if (p->center)                                     \
				res = res + beta[j];                       \
			yr[j] = xr[j] * iv + res;                          \
		}                                                          \
	}                                                                  \
}

LAYERNORM(float, forward, p->gamma, p->beta, p->epsilon)
LAYERNORM(double, forward64, kx_layer_w64(l, &p->gamma), kx_layer_w64(l, &p->beta), p->epsilon64)

static size_t
params(const struct kx_layer *l)
{
	struct kx_tensor t[KX_MAX_TENSORS];

	return tensors(l, t) * l->in;
}

static void
describe(const struct kx_layer *l, struct kx_layer_desc *d)
{
	const struct layernorm *p = l->priv;

	snprintf(d->summary, sizeof d->summary, "epsilon %.9g%s%s%s", (double)p->epsilon,
	         p->rms ? ", rms_scaling" : "", p->scale || p->rms ? ", gamma" : "",
	         p->center && !p->rms ? ", beta" : "");
}

static const char *const classes[] = { "LayerNormalization", NULL };

const struct kx_layer_ops kx_layer_layernorm = {
	.kind = "LayerNormalization",
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
