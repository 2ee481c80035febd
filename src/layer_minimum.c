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

static double
op64(double a, double b)
{
	return (a <= b || isnan(a)) ? a : b;
}

KX_MERGE_LAYER(kx_layer_minimum, "Minimum", op, op64, kx_merge_shape, 0);
