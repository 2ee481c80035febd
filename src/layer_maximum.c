/* layer_maximum.c - Maximum: the elementwise maximum of its inputs, folded in
 * order; NaN propagates (NumPy maximum: a >= b or a NaN gives a). */
#include <math.h>

#include "layer.h"
#include "model.h"

static float
op(float a, float b)
{
	return (a >= b || isnan(a)) ? a : b;
}

static void
forward(const struct kx_layer *l, const float *const *x, size_t n, float *y)
{
	kx_merge_fold(l, x, n, y, op);
}

static const char *const classes[] = { "Maximum", NULL };

const struct kx_layer_ops kx_layer_maximum = {
	.kind = "Maximum",
	.classes = classes,
	.parse = kx_merge_parse,
	.shape = kx_merge_shape,
	.forward = forward,
	.fast = KX_FAST_NONE,
	.free = kx_layer_free_priv,
};
