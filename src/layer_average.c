/* layer_average.c - Average: the elementwise mean of its inputs as Keras computes
 * it in float32: the sum folded in order, then divided by their number. */
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
	float k = (float)kx_merge_n(l);
	size_t i;

	kx_merge_fold(l, x, n, y, op);
	for (i = 0; i < n * l->out; i++)
		y[i] = y[i] / k;
}

static const char *const classes[] = { "Average", NULL };

const struct kx_layer_ops kx_layer_average = {
	.kind = "Average",
	.classes = classes,
	.parse = kx_merge_parse,
	.shape = kx_merge_shape,
	.forward = forward,
	.fast = KX_FAST_NONE,
	.free = kx_layer_free_priv,
};
