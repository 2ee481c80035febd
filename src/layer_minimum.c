/* layer_minimum.c - Minimum: the elementwise minimum of its inputs, folded in
 * order; NaN propagates (NumPy minimum: a <= b or a NaN gives a). */
#include <math.h>

#include "layer.h"
#include "model.h"

static float
op(float a, float b)
{
	return (a <= b || isnan(a)) ? a : b;
}

static void
forward(const struct kx_layer *l, const float *const *x, size_t n, float *y)
{
	kx_merge_fold(l, x, n, y, op);
}

static const char *const classes[] = { "Minimum", NULL };

const struct kx_layer_ops kx_layer_minimum = {
	.kind = "Minimum",
	.classes = classes,
	.parse = kx_merge_parse,
	.shape = kx_merge_shape,
	.forward = forward,
	.fast = KX_FAST_NONE,
	.free = kx_layer_free_priv,
};
