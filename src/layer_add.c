/* layer_add.c - Add: the elementwise sum of its inputs, folded in order
 * (((x0 + x1) + x2) ...) in float32 as Keras adds them. */
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

KX_MERGE_LAYER(kx_layer_add, "Add", op, op64, kx_merge_shape, 0);
