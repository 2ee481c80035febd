/* kernel.h - the KAN and Dense kernels: a plain reference and a fast path.
 *
 * Reference: Cox-de Boor over every basis exactly as the Keras layer does.
 * Fast: local de Boor (only the k+1 non-zero bases) into a [act(x) | B(x)]
 * matrix and one BLIS sgemm against the packed weights. */
#ifndef KX_KERNEL_H
#define KX_KERNEL_H

#include <stddef.h>
#include "model.h"

/* Extend the grid of layer l into l->ext and set l->uniform, grid_lo/hi.
 * Returns 0. */
int kx_kan_prepare(struct kx_layer *l);

/* Pack base_w and spline_w into l->packed. Returns -1 on allocation failure. */
int kx_kan_pack(struct kx_layer *l);

/* B-spline bases of degree k for x on feature i of layer l, by the full
 * Cox-de Boor recursion (reference). out has G+k entries. tmp has at least
 * G+2k entries. */
void kx_bspline_ref(const struct kx_layer *l, size_t i, float x, float *out, float *tmp);

/* Reference KAN layer: y (n, out) from x (n, in). */
void kx_kan_forward_ref(const struct kx_layer *l, const float *x, size_t n, float *y);

/* Fast KAN layer: a is scratch of n*in*(1+G+k) floats. */
void kx_kan_forward_fast(const struct kx_layer *l, const float *x, size_t n, float *y, float *a);

/* Dense: y = act(x @ kernel + bias). ref=1 uses plain loops. */
void kx_dense_forward(const struct kx_layer *l, const float *x, size_t n, float *y, int ref);

/* Set the number of threads a forward pass splits its batch over (1 =
 * single threaded; clamped to 1..KX_MAX_THREADS). BLIS itself runs single
 * threaded inside each. Affects work areas created afterwards. */
#define KX_MAX_THREADS 64
void kx_kernel_threads(int n);
int kx_kernel_get_threads(void);

#endif
