/* ref64.h - the double-precision reference path: what a layer under the
 * float64 dtype policy computes (Keras's NumPy/TensorFlow/JAX backends in
 * float64), for the layers' forward64 hooks (layer.h). Plain loops, no
 * fast kernels: model.c runs a model with any float64 layer this way. */
#ifndef KX_REF64_H
#define KX_REF64_H

#include <stddef.h>
#include "act.h"

struct kx_layer;

/* Dense: y (n, units) = act(x @ w64[0] + w64[1]); units: the kernel's
 * width (l->units), the activation's output packed as above. */
void kx_dense_forward64(const struct kx_layer *l, const double *x, size_t n, double *y);

/* KANLinear on its float64 weights (base_weight, spline_weight, grid in
 * w64[0..2]): Keras's extended grid and Cox-de Boor recursion. */
void kx_kan_forward64(const struct kx_layer *l, const double *x, size_t n, double *y);

struct kx_model;

/* The work area of the path below for batches of up to max_rows rows:
 * every node of m (its input and each layer's output) in double
 * (*node64) and in float (*node32), *rows rows each (fewer than max_rows
 * when the model is wide: the batch then goes through in parts). 0, or
 * -1 out of memory. */
int kx_forward64_alloc(const struct kx_model *m, size_t max_rows, double **node64,
                       float **node32, size_t *rows);

/* The forward pass of a model with float64 layers, as Keras computes it:
 * each layer casts its inputs to its compute dtype and computes in it, a
 * float64 layer in double (its forward64 hook), any other in float32 (its
 * reference forward). The input: x64 when not NULL (a float64 InputLayer:
 * the rows as read, in double), else x. The output: into y64 when not
 * NULL (each value as its output node holds it: a float32 output's are
 * float values), else rounded to float32 into y. */
void kx_forward64(const struct kx_model *m, double *node64, float *node32, size_t rows,
                  const float *x, const double *x64, size_t n, float *y, double *y64);

#endif
