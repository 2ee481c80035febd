/* layer_multiply.c - Multiply: the elementwise product of its inputs, folded in
 * order in float32 as Keras multiplies them. */
#include "layer.h"
#include "model.h"

static float
op(float a, float b)
{
	return a * b;
}

static void
forward(const struct kx_layer *l, const float *const *x, size_t n, float *y)
{
	kx_merge_fold(l, x, n, y, op);
}

static const char *const classes[] = { "Multiply", NULL };

const struct kx_layer_ops kx_layer_multiply = {
	.kind = "Multiply",
	.classes = classes,
	.parse = kx_merge_parse,
	.shape = kx_merge_shape,
	.forward = forward,
	.fast = KX_FAST_NONE,
	.free = kx_layer_free_priv,
};
