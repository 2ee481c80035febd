/* layer_unitnorm.c - UnitNormalization: each row divided by its L2 norm,
 * in float32 as the Keras version that saved the model computes it (the
 * zero row stays zero): s = sum(x^2); Keras 3.3-3.5 x * rsqrt(max(s,
 * 1e-12)); 3.6-3.15 x * min(rsqrt(s), 1e12); 3.16 x * rsqrt(max(s,
 * 1e-24)). */
#include <tgmath.h>
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

/* The layer in T: float32 (forward) and float64 (forward64), Keras's
 * operations in its order (<tgmath.h> picks sqrtf or sqrt). */
#define UNITNORM(T, NAME)                                                \
static void                                                              \
NAME(const struct kx_layer *l, const T *const *x, size_t n, T *y)        \
{                                                                        \
	const struct unitnorm *u = l->priv;                              \
	size_t r, j, w = l->in;                                          \
                                                                         \
	for (r = 0; r < n; r++) {                                        \
		const T *xr = x[0] + r * w;                              \
		T s = (T)0, inv;                                         \
		for (j = 0; j < w; j++)                                  \
			s += xr[j] * xr[j];                              \
		if (u->version >= 0 && u->version < 3006) {              \
			inv = (T)1 / sqrt(s > (T)1e-12 ? s : (T)1e-12);  \
		} else if (u->version >= 0 && u->version < 3016) {       \
			inv = (T)1 / sqrt(s);                            \
			inv = inv < (T)1e12 ? inv : (T)1e12;             \
		} else {                                                 \
			inv = (T)1 / sqrt(s > (T)1e-24 ? s : (T)1e-24);  \
		}                                                        \
		for (j = 0; j < w; j++)                                  \
			y[r * w + j] = xr[j] * inv;                      \
	}                                                                \
}

UNITNORM(float, forward)
UNITNORM(double, forward64)

static const char *const classes[] = { "UnitNormalization", NULL };

const struct kx_layer_ops kx_layer_unitnorm = {
	.kind = "UnitNormalization",
	.classes = classes,
	.parse = parse,
	.shape = kx_layer_shape_same,
	.forward = forward,
	.forward64 = forward64,
	.free = kx_layer_free_priv,
};
