/* kernel.h - the KAN and Dense kernels: a plain reference and a fast path.
 *
 * Reference: Cox-de Boor over every basis exactly as the Keras layer does.
 * Fast: local de Boor (only the k+1 non-zero bases) into a [act(x) | B(x)]
 * matrix and one BLIS sgemm against the packed weights. */
#ifndef KX_KERNEL_H
#define KX_KERNEL_H

#include <stddef.h>
#include "model.h"

/* rows per panel of the AVX2 kernel: two 8-float vectors */
#define KX_PANEL 16

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

/* Local de Boor on the extended knots t of one feature: the k+1 bases
 * that can be non-zero at x, bases mu-k .. mu, into L[0..k] (those off
 * either end of the basis range are 0). Returns mu, or -1 when x is
 * outside the extended grid. */
long kx_bspline_span(const float *t, size_t G, size_t k, float x, float *L, int uniform,
                     float inv_h);

/* The same, written into a[0..G+k) (which must be zero). */
void kx_bspline_local(const float *t, size_t G, size_t k, float x, float *a, int uniform,
                      float inv_h);

/* Which fast kernel a model loaded from now on uses. */
enum kx_kernel {
	KX_KERNEL_BLIS,  /* [act | B] matrix and BLIS sgemm, any CPU */
	KX_KERNEL_AVX2   /* rows in AVX2 lanes, weights tiled at load (kernel_avx2.c) */
};

/* Choose by name: "auto" (AVX2 when the CPU has AVX2 and FMA, else BLIS),
 * "avx2" or "blis". NULL or "" is "auto". Returns -1, choosing nothing,
 * for an unknown name or "avx2" on a CPU without it. */
int kx_kernel_select(const char *name);
enum kx_kernel kx_kernel_current(void);
const char *kx_kernel_name(enum kx_kernel k);

/* kernel_avx2.c */
int kx_avx2_supported(void);
/* Tile l's weights (from l->packed for KAN, l->kernel for Dense) into
 * l->tiled. Returns -1 on allocation failure. */
int kx_avx2_pack(struct kx_layer *l);
/* KAN layers loaded from now on: -1 dense or sparse by cost (default),
 * 0 always dense, 1 sparse whenever the weights allow (tests, bench). */
extern int kx_avx2_sparse;
/* Floats (32-byte aligned) a work area of kx_avx2_forward needs; 0 on
 * overflow. Independent of the batch size. */
size_t kx_avx2_work_floats(const struct kx_model *m);
/* y (n, out) from x (n, in), panel by panel. */
void kx_avx2_forward(const struct kx_model *m, float *work, const float *x, size_t n, float *y);

/* Set the number of threads a forward pass splits its batch over (1 =
 * single threaded; clamped to 1..KX_MAX_THREADS). BLIS itself runs single
 * threaded inside each. Affects work areas created afterwards. */
#define KX_MAX_THREADS 64
void kx_kernel_threads(int n);
int kx_kernel_get_threads(void);

#endif
