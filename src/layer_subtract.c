/* layer_subtract.c - Subtract: x0 - x1, of exactly two inputs (Keras refuses
 * any other number). */
#include <stdio.h>

#include "layer.h"
#include "model.h"

static float
op(float a, float b)
{
	return a - b;
}

static double
op64(double a, double b)
{
	return a - b;
}

static int
shape(struct kx_layer *l, const size_t *in_w, size_t n_in, char *msg, size_t size)
{
	if (n_in != 2) {
		snprintf(msg, size, "Subtract takes exactly 2 inputs, not %zu", n_in);
		return -1;
	}
	return kx_merge_shape(l, in_w, n_in, msg, size);
}

KX_MERGE_LAYER(kx_layer_subtract, "Subtract", op, op64, shape, 0);
