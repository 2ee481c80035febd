/* kernel_impl.h - private to the kernel files (kernel*.c): what a kernel
 * makes of a layer's weights, and each kernel's entry points, which only
 * the chooser (kernel.c) calls. */
#ifndef KX_KERNEL_IMPL_H
#define KX_KERNEL_IMPL_H

#include <stddef.h>
#include "kernel.h"

struct kx_prep {
	struct kx_kop op;
	float *packed;     /* BLIS, KAN: W = [base_w ; spline_w as (in*(G+k), out)] */
	float *tiled;      /* panel: W (KAN) or kernel (Dense) in 6-output tiles */
	float *sparse_w;   /* panel, KAN, sparse path: per input, base row then the spline
	                    * rows with k zero rows each side, each sparse_op floats */
	size_t sparse_op;  /* out rounded up to a multiple of 8 */
};

/* The bias and the activation of a Dense layer on its product y (n,
 * out), in the reference and the BLIS kernel alike. */
static inline void
kx_dense_epilogue(const struct kx_kop *l, size_t n, float *y)
{
	size_t b, o;

	if (l->bias)
		for (b = 0; b < n; b++)
			for (o = 0; o < l->out; o++)
				y[b * l->out + o] += l->bias[o];
	kx_act_apply_rows(l->act, y, y, n, l->out);
}

/* kernel_blis.c */
size_t kx_blis_work_floats(const struct kx_prep *const *chain, size_t n, size_t in,
                           size_t max_rows);
void kx_blis_forward(const struct kx_prep *const *chain, size_t n, float *work, const float *x,
                     size_t rows, float *y);

/* kernel_panel.c: tile the weights of p (from p->packed for KAN,
 * op.kernel for Dense) into p->tiled, or lay them out for the sparse path
 * into p->sparse_w. -1 on allocation failure. */
int kx_panel_prepare(struct kx_prep *p);
size_t kx_panel_work_floats(const struct kx_prep *const *chain, size_t n, size_t in);

/* kernel_avx2.c, kernel_portable.c: the chain, panel by panel, the same
 * bits from both. */
void kx_avx2_forward(const struct kx_prep *const *chain, size_t n, float *work, const float *x,
                     size_t rows, float *y);
void kx_portable_forward(const struct kx_prep *const *chain, size_t n, float *work,
                         const float *x, size_t rows, float *y);

#endif
