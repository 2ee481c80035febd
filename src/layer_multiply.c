/* layer_multiply.c - Multiply: the elementwise product of its inputs, folded in
 * order in float32 as Keras multiplies them. */
#include "layer.h"
#include "model.h"

static float
op(float a, float b)
{
	return a * b;
}

static double
op64(double a, double b)
{
	return a * b;
}

KX_MERGE_LAYER(kx_layer_multiply, "Multiply", op, op64, kx_merge_shape, 0);
