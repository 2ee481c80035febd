/* layer_average.c - Average: the elementwise mean of its inputs as Keras computes
 * it in float32: the sum folded in order, then divided by their number. */
#include "layer.h"
#include "model.h"

static float
op(float a, float b)
{
	return a + b;
}

static double
op64(double a, double b)
{
	return a + b;
}

KX_MERGE_LAYER(kx_layer_average, "Average", op, op64, kx_merge_shape, 1);
