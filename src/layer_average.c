/* layer_average.c - Average: the elementwise mean of its inputs as Keras computes
 * it in float32: the sum folded in order, then divided by their number. */
#include "layer.h"
#include "model.h"

static float
op(float a, float b)
{
	return a + b;
}

KX_MERGE_LAYER(kx_layer_average, "Average", op, kx_merge_shape, 1);
