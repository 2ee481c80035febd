/* layer_batchnorm.c - BatchNormalization at inference (moving statistics):
 * inv = 1 / sqrt(moving_variance + epsilon) (* gamma), y = x * inv +
 * (-moving_mean * inv (+ beta)), in float32 in that order (Keras's
 * batch_normalization, NumPy backend). Variables gamma, beta (each only
 * when scale, center), moving_mean, moving_variance, in that order; with
 * renorm (Keras 3.16 has it, 3.8 not) three more that only training uses (moving_stddev,
 * renorm_mean, renorm_stddev): inference reads the moving mean and
 * variance as without it (renorm keeps moving_variance in step). */
#include <tgmath.h>
#include <stdio.h>
#include <stdlib.h>

#include "layer.h"
#include "model.h"

struct batchnorm {
	int center, scale, renorm;
	float epsilon;
	double epsilon64;         /* as the config writes it (float64 policy) */
	float *gamma, *beta, *mean, *var;
	float *renorm_w[3];       /* renorm: read, not used at inference */
};

static int
parse(struct kx_layer *l, const cJSON *cfg, struct kx_parse_ctx *ctx)
{
	struct batchnorm *b;

	if (!(b = kx_layer_priv(l, sizeof *b, ctx)))
		return -1;
	kx_layer_last_axis(ctx, cfg, "axis");
	b->center = kx_layer_bool(ctx, cfg, "center", 1);
	b->scale = kx_layer_bool(ctx, cfg, "scale", 1);
	kx_layer_float(ctx, cfg, "epsilon", 1e-3f, &b->epsilon);
	b->epsilon64 = kx_layer_double(cfg, "epsilon", 1e-3);
	b->renorm = kx_layer_bool(ctx, cfg, "renorm", 0);
	return ctx->bad ? -1 : 0;
}

static size_t
tensors(const struct kx_layer *l, struct kx_tensor *t)
{
	struct batchnorm *b = l->priv;
	size_t n = 0;

	if (b->scale)
		t[n++] = (struct kx_tensor){ "gamma", 1, { l->in, 0, 0 }, &b->gamma, 0 };
	if (b->center)
		t[n++] = (struct kx_tensor){ "beta", 1, { l->in, 0, 0 }, &b->beta, 0 };
	t[n++] = (struct kx_tensor){ "moving_mean", 1, { l->in, 0, 0 }, &b->mean, 0 };
	t[n++] = (struct kx_tensor){ "moving_variance", 1, { l->in, 0, 0 }, &b->var, 0 };
	if (b->renorm) {
		t[n++] = (struct kx_tensor){ "moving_stddev", 1, { l->in, 0, 0 }, &b->renorm_w[0], 0 };
		t[n++] = (struct kx_tensor){ "renorm_mean", 1, { l->in, 0, 0 }, &b->renorm_w[1], 0 };
		t[n++] = (struct kx_tensor){ "renorm_stddev", 1, { l->in, 0, 0 }, &b->renorm_w[2], 0 };
	}
	return n;
}

/* The layer in T: float32 (forward) and float64 (forward64, its weights
 * as read, epsilon as the config writes it); <tgmath.h> picks sqrtf or
 * sqrt. */
#define BATCHNORM(T, NAME, GAMMA, BETA, MEAN, VAR, EPS)                  \
static void                                                              \
NAME(const struct kx_layer *l, const T *const *x, size_t n, T *y)        \
{                                                                        \
	const struct batchnorm *b = l->priv;                             \
	const T *gamma = GAMMA, *beta = BETA, *mean = MEAN, *var = VAR;  \
	size_t r, j, w = l->in;                                          \
                                                                         \
	for (j = 0; j < w; j++) {                                        \
		T inv = (T)1 / sqrt(var[j] + EPS), res;                  \
		if (b->scale)                                            \
			inv = inv * gamma[j];                            \
		res = -mean[j] * inv;                                    \
		if (b->center)                                           \
			res = res + beta[j];                             \
		for (r = 0; r < n; r++)                                  \
			y[r * w + j] = x[0][r * w + j] * inv + res;      \
	}                                                                \
}

BATCHNORM(float, forward, b->gamma, b->beta, b->mean, b->var, b->epsilon)
BATCHNORM(double, forward64, kx_layer_w64(l, &b->gamma), kx_layer_w64(l, &b->beta),
          kx_layer_w64(l, &b->mean), kx_layer_w64(l, &b->var), b->epsilon64)

static size_t
params(const struct kx_layer *l)
{
	const struct batchnorm *b = l->priv;

	return ((size_t)b->scale + (size_t)b->center) * l->in;  /* the moving statistics are not trainable */
}

static void
describe(const struct kx_layer *l, struct kx_layer_desc *d)
{
	const struct batchnorm *b = l->priv;

	snprintf(d->summary, sizeof d->summary, "inference: moving statistics, epsilon %.9g%s%s",
	         (double)b->epsilon, b->scale ? ", gamma" : "", b->center ? ", beta" : "");
}

static const char *const classes[] = { "BatchNormalization", NULL };

const struct kx_layer_ops kx_layer_batchnorm = {
	.kind = "BatchNormalization",
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
