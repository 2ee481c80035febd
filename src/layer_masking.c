/* layer_masking.c - Masking(mask_value): a row whose every feature equals
 * mask_value becomes zeros, other rows pass unchanged (Keras then masks
 * the row for the layers after it; the Dense, KANLinear and elementwise
 * layers kanx runs compute the same with or without that mask). Keras
 * before 3.15 multiplies by the mask (a negative row becomes -0), 3.15 on
 * uses where (0). */
#include <stdio.h>
#include <stdlib.h>

#include "layer.h"
#include "model.h"

struct masking {
	float value;
	double value64;   /* as the config writes it (float64 policy) */
	int multiply;     /* x * 0, as Keras before 3.15 */
};

static int
parse(struct kx_layer *l, const cJSON *cfg, struct kx_parse_ctx *ctx)
{
	struct masking *m;
	long v = kx_keras_version(ctx->keras_version);

	if (!(m = kx_layer_priv(l, sizeof *m, ctx)))
		return -1;
	m->multiply = v >= 0 && v < 3015;
	m->value64 = kx_layer_double(cfg, "mask_value", 0.0);
	return kx_layer_float(ctx, cfg, "mask_value", 0.0f, &m->value);
}

/* The layer in T: float32 (forward) and float64 (forward64, mask_value
 * as the config writes it). */
#define MASKING(T, NAME, VALUE)                                                    \
static void                                                                        \
NAME(const struct kx_layer *l, const T *const *x, size_t n, T *y)                  \
{                                                                                  \
	const struct masking *m = l->priv;                                         \
	size_t r, j, w = l->in;                                                    \
                                                                                   \
	for (r = 0; r < n; r++) {                                                  \
		const T *xr = x[0] + r * w;                                        \
		T *yr = y + r * w;                                                 \
		int keep = 0;                                                      \
		for (j = 0; j < w; j++)                                            \
			keep |= xr[j] != VALUE;  /* NaN != anything: kept */       \
		for (j = 0; j < w; j++)                                            \
			yr[j] = keep ? xr[j] : m->multiply ? xr[j] * (T)0 : (T)0;  \
	}                                                                          \
}

MASKING(float, forward, m->value)
MASKING(double, forward64, m->value64)

static void
describe(const struct kx_layer *l, struct kx_layer_desc *d)
{
	const struct masking *m = l->priv;

	snprintf(d->summary, sizeof d->summary, "rows equal to %.9g in every feature become zeros",
	         (double)m->value);
}

static const char *const classes[] = { "Masking", NULL };

const struct kx_layer_ops kx_layer_masking = {
	.kind = "Masking",
	.classes = classes,
	.parse = parse,
	.shape = kx_layer_shape_same,
	.forward = forward,
	.forward64 = forward64,
	.describe = describe,
	.free = kx_layer_free_priv,
};
