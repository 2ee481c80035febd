/* kernel.h - the KAN and Dense kernels: a plain reference and fast paths.
 *
 * Reference: Cox-de Boor over every basis exactly as the Keras layer does.
 * BLIS: local de Boor (only the k+1 non-zero bases) into a [act(x) | B(x)]
 * matrix and one BLIS sgemm against the packed weights.
 * Panel (AVX2 and portable): rows in eight-float lanes, weights tiled at
 * load; the two give the same bits on every CPU. */
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

/* Where Keras's float32 recursion overflows at x (|x| > l->x_safe), add
 * to the outputs y[o * stride], o < l->out, of the row what it makes of
 * it: NaN (or an infinity) where Keras's outputs are. A no-op for
 * |x| <= l->x_safe and for NaN. */
void kx_kan_extreme(const struct kx_layer *l, size_t i, float x, float *y, size_t stride);

/* The cell of x in the closed form of a uniform grid (l->closed): with
 * f = (x - t0) * inv_h in double (exact to far below a float32 ulp of u,
 * whatever G), mu = floor(f) and *u = f - mu, in [0, 1), when 0 <= f < n
 * (n intervals); else -1 and *u = 0. */
static inline long
kx_closed_cell(float x, float t0, double inv_h, double n, float *u)
{
	double f = ((double)x - (double)t0) * inv_h;
	int ok = f >= 0.0 && f < n;
	double fs = ok ? f : 0.0;
	long m = (long)fs;

	*u = (float)(fs - (double)m);
	return ok ? m : -1;
}

/* Which fast kernel a model loaded from now on uses. */
enum kx_kernel {
	KX_KERNEL_BLIS,      /* [act | B] matrix and BLIS sgemm, any CPU */
	KX_KERNEL_AVX2,      /* the panel kernel on AVX2+FMA (kernel_avx2.c) */
	KX_KERNEL_PORTABLE   /* the panel kernel in plain C, the AVX2 kernel's bits on
	                      * any CPU (kernel_portable.c) */
};

/* Choose by name: "auto" (AVX2 when the CPU has AVX2 and FMA, else
 * portable where it has a fused multiply-add instruction, else BLIS),
 * "avx2", "portable" or "blis". NULL or "" is "auto". Returns -1,
 * choosing nothing, for an unknown name or "avx2" on a CPU without it. */
int kx_kernel_select(const char *name);
enum kx_kernel kx_kernel_current(void);
const char *kx_kernel_name(enum kx_kernel k);
/* 1 for the kernels that run the panel kernel (AVX2, portable): same
 * bits, weights tiled at load. */
int kx_kernel_is_panel(enum kx_kernel k);

/* The panel kernels (kernel_panel.c, kernel_avx2.c, kernel_portable.c) */
int kx_avx2_supported(void);
/* Tile l's weights (from l->packed for KAN, l->kernel for Dense) into
 * l->tiled, or lay them out for the sparse path into l->sparse_w.
 * Returns -1 on allocation failure. */
int kx_panel_pack(struct kx_layer *l);
/* KAN layers loaded from now on: -1 dense or sparse by cost (default),
 * 0 always dense, 1 sparse whenever the weights allow (tests, bench). */
extern int kx_panel_sparse;
/* Floats (32-byte aligned) a work area of the panel kernels needs; 0 on
 * overflow. Independent of the batch size. */
size_t kx_panel_work_floats(const struct kx_model *m);
/* y (n, out) from x (n, in), panel by panel: the same bits from both. */
void kx_avx2_forward(const struct kx_model *m, float *work, const float *x, size_t n, float *y);
void kx_portable_forward(const struct kx_model *m, float *work, const float *x, size_t n,
                         float *y);
/* 1 if this build's portable kernel has a fused multiply-add instruction
 * (FP_FAST_FMAF: aarch64, for one); 0 where it emulates it (x86-64 built
 * for any CPU), tens of times slower. */
int kx_portable_fast(void);

/* Set the number of threads a forward pass splits its batch over (1 =
 * single threaded; clamped to 1..KX_MAX_THREADS). BLIS itself runs single
 * threaded inside each. Affects work areas created afterwards. */
#define KX_MAX_THREADS 64
void kx_kernel_threads(int n);
int kx_kernel_get_threads(void);

#endif
