/* layer_layernorm.c - LayerNormalization over the features of each row,
 * in float32 as Keras's NumPy backend computes it: mean and variance as
 * E[x^2] - E[x]^2, inv = 1 / sqrt(var + epsilon) (* gamma), y = x * inv +
 * (-mean * inv (+ beta)). rms_scaling (Keras 3.8+; 3.3 does not save it):
 * y = x * (1 / sqrt(var(x) + epsilon)) * gamma, var the two-pass variance.
 * Variables gamma (scale or rms_scaling), beta (center, not rms_scaling). */
#include <math.h>
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

/* numpy's float32 mean of v[0 .. w) */
static float
mean32(const float *v, size_t w)
{
	float s = 0.0f;
	size_t j;

	for (j = 0; j < w; j++)
		s += v[j];
	return s / (float)w;
}

static void
forward(const struct kx_layer *l, const float *const *x, size_t n, float *y)
{
	const struct layernorm *p = l->priv;
	size_t r, j, w = l->in;

	for (r = 0; r < n; r++) {
		const float *xr = x[0] + r * w;
		float *yr = y + r * w, mean = mean32(xr, w), sq = 0.0f, var, inv, res;
		if (p->rms) {
			for (j = 0; j < w; j++)
				sq += (xr[j] - mean) * (xr[j] - mean);
			inv = 1.0f / sqrtf(sq / (float)w + p->epsilon);
			for (j = 0; j < w; j++)
				yr[j] = xr[j] * inv * p->gamma[j];
			continue;
		}
		for (j = 0; j < w; j++)
			sq += xr[j] * xr[j];
		var = sq / (float)w - mean * mean;
		inv = 1.0f / sqrtf(var + p->epsilon);
		for (j = 0; j < w; j++) {
			float iv = p->scale ? inv * p->gamma[j] : inv;
			res = -mean * iv;
			if (p->center)
				res = res + p->beta[j];
			yr[j] = xr[j] * iv + res;
		}
	}
}

static size_t
params(const struct kx_layer *l)
{
	struct kx_tensor t[KX_MAX_TENSORS];

	return tensors(l, t) * l->in;
}

static void
forward64(const struct kx_layer *l, const double *const *x, size_t n, double *y)
{
	const struct layernorm *p = l->priv;
	const double *gamma = kx_layer_w64(l, &p->gamma), *beta = kx_layer_w64(l, &p->beta);
	size_t r, j, w = l->in;

	for (r = 0; r < n; r++) {
		const double *xr = x[0] + r * w;
		double *yr = y + r * w, mean = 0.0, sq = 0.0, inv;
		for (j = 0; j < w; j++)
			mean += xr[j];
		mean /= (double)w;
		if (p->rms) {
			for (j = 0; j < w; j++)
				sq += (xr[j] - mean) * (xr[j] - mean);
			inv = 1.0 / sqrt(sq / (double)w + p->epsilon64);
			for (j = 0; j < w; j++)
				yr[j] = xr[j] * inv * gamma[j];
			continue;
		}
		for (j = 0; j < w; j++)
			sq += xr[j] * xr[j];
		inv = 1.0 / sqrt(sq / (double)w - mean * mean + p->epsilon64);
		for (j = 0; j < w; j++) {
			double iv = p->scale ? inv * gamma[j] : inv, res = -mean * iv;
			yr[j] = xr[j] * iv + (p->center ? res + beta[j] : res);
		}
	}
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
	.fast = KX_FAST_NONE,
	.params = params,
	.describe = describe,
	.free = kx_layer_free_priv,
};
