/* layer_add.c - Add: the elementwise sum of its inputs, folded in order
 * (((x0 + x1) + x2) ...) in float32 as Keras adds them. */
#include "layer.h"
#include "model.h"

static float
op(float a, float b)
{
	return a + b;
}

static void
forward(const struct kx_layer *l, const float *const *x, size_t n, float *y)
{
	kx_merge_fold(l, x, n, y, op);
}

static const char *const classes[] = { "Add", NULL };

const struct kx_layer_ops kx_layer_add = {
	.kind = "Add",
	.classes = classes,
	.parse = kx_merge_parse,
	.shape = kx_merge_shape,
	.forward = forward,
	.fast = KX_FAST_NONE,
	.free = kx_layer_free_priv,
};
