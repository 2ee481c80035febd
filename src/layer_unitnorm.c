/* layer_unitnorm.c - UnitNormalization: each row divided by its L2 norm,
 * in float32 as the Keras version that saved the model computes it (the
 * zero row stays zero): s = sum(x^2); Keras 3.3-3.5 x * rsqrt(max(s,
 * 1e-12)); 3.6-3.15 x * min(rsqrt(s), 1e12); 3.16 x * rsqrt(max(s,
 * 1e-24)). */
#include <math.h>
#include <stdlib.h>

#include "layer.h"
#include "model.h"

struct unitnorm {
	long version;     /* kx_keras_version(), -1: the newest */
};

static int
parse(struct kx_layer *l, const cJSON *cfg, struct kx_parse_ctx *ctx)
{
	struct unitnorm *u;

	if (!(u = kx_layer_priv(l, sizeof *u, ctx)))
		return -1;
	u->version = kx_keras_version(ctx->keras_version);
	return kx_layer_last_axis(ctx, cfg, "axis");
}

static void
forward(const struct kx_layer *l, const float *const *x, size_t n, float *y)
{
	const struct unitnorm *u = l->priv;
	size_t r, j, w = l->in;

	for (r = 0; r < n; r++) {
		const float *xr = x[0] + r * w;
		float s = 0.0f, inv;
		for (j = 0; j < w; j++)
			s += xr[j] * xr[j];
		if (u->version >= 0 && u->version < 3006) {
			inv = 1.0f / sqrtf(s > 1e-12f ? s : 1e-12f);
		} else if (u->version >= 0 && u->version < 3016) {
			inv = 1.0f / sqrtf(s);
			inv = inv < 1e12f ? inv : 1e12f;
		} else {
			inv = 1.0f / sqrtf(s > 1e-24f ? s : 1e-24f);
		}
		for (j = 0; j < w; j++)
			y[r * w + j] = xr[j] * inv;
	}
}

static void
forward64(const struct kx_layer *l, const double *const *x, size_t n, double *y)
{
	const struct unitnorm *u = l->priv;
	size_t r, j, w = l->in;

	for (r = 0; r < n; r++) {
		const double *xr = x[0] + r * w;
		double s = 0.0, inv;
		for (j = 0; j < w; j++)
			s += xr[j] * xr[j];
		if (u->version >= 0 && u->version < 3006)
			inv = 1.0 / sqrt(s > 1e-12 ? s : 1e-12);
		else if (u->version >= 0 && u->version < 3016)
			inv = fmin(1.0 / sqrt(s), 1e12);
		else
			inv = 1.0 / sqrt(s > 1e-24 ? s : 1e-24);
		for (j = 0; j < w; j++)
			y[r * w + j] = xr[j] * inv;
	}
}

static const char *const classes[] = { "UnitNormalization", NULL };

const struct kx_layer_ops kx_layer_unitnorm = {
	.kind = "UnitNormalization",
	.classes = classes,
	.parse = parse,
	.shape = kx_layer_shape_same,
	.forward = forward,
	.forward64 = forward64,
	.fast = KX_FAST_NONE,
	.free = kx_layer_free_priv,
};
