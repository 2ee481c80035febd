/* kernel.h - the kernels and the one call that chooses between them.
 *
 * A kernel computes layers described by a struct kx_kop (what a layer's
 * row of the layer table says of itself: a KAN layer, a matrix product, an
 * activation, the identity) on the B-spline math of bspline.h:
 *
 *   kernel_ref.c     the plain reference: Cox-de Boor over every basis,
 *                    exactly as the Keras layer does, and plain loops
 *   kernel_blis.c    local de Boor (only the k+1 non-zero bases) into a
 *                    [act(x) | B(x)] matrix and one BLIS sgemm
 *   kernel_panel.c   the panel kernels' weight layouts; kernel_avx2.c and
 *                    kernel_portable.c run whole chains of layers, rows in
 *                    eight-float lanes, the same bits on every CPU
 *   kernel.c         this header: the choice, the preparation of a layer's
 *                    weights for the chosen kernel, and running a chain
 *
 * None of the kernel files calls another's functions but through this
 * chooser, and none knows struct kx_layer or struct kx_model. */
#ifndef KX_KERNEL_H
#define KX_KERNEL_H

#include <stddef.h>
#include "act.h"
#include "bspline.h"

/* rows per panel of the panel kernels: two 8-float vectors */
#define KX_PANEL 16

/* What a layer is to the kernels. */
enum kx_fast {
	KX_FAST_IDENTITY,   /* y = x */
	KX_FAST_ACT,        /* y = act(x) */
	KX_FAST_MATMUL,     /* y = act(x @ kernel + bias) */
	KX_FAST_KAN         /* y = act(x) @ base_w + B(x) @ spline_w */
};

struct kx_kop {
	enum kx_fast fast;
	size_t in, out;
	struct kx_act act;         /* KAN: the base activation */
	/* KX_FAST_KAN */
	size_t G, k;
	const float *base_w;       /* (in, out) */
	const float *spline_w;     /* (in, out, G+k) */
	const struct kx_knots *kn; /* the extended grid */
	/* KX_FAST_MATMUL */
	const float *kernel;       /* (in, out) */
	const float *bias;         /* (out) or NULL */
};

/* The reference (kernel_ref.c): y (n, op->out) from x (n, op->in). */
void kx_ref_forward(const struct kx_kop *op, const float *x, size_t n, float *y);

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
int kx_avx2_supported(void);
/* 1 if this build's portable kernel has a fused multiply-add instruction
 * (FP_FAST_FMAF: aarch64, for one); 0 where it emulates it (x86-64 built
 * for any CPU), tens of times slower. */
int kx_portable_fast(void);

/* What kernel K made of one layer's weights (packed, tiled or laid out
 * for the sparse path), with a copy of its kx_kop. Opaque; owned by the
 * caller of kx_kernel_prepare. */
struct kx_prep;

/* Prepare layer op for kernel K (op's arrays must outlive the result).
 * NULL on allocation failure. */
struct kx_prep *kx_kernel_prepare(enum kx_kernel K, const struct kx_kop *op);
void kx_prep_free(struct kx_prep *p);

/* KAN layers prepared from now on by the panel kernels: -1 dense or
 * sparse by cost (default), 0 always dense, 1 sparse whenever the weights
 * allow (tests, bench). */
extern int kx_panel_sparse;
/* 1 if the panel kernels run p by the sparse path (tests, bench). */
int kx_prep_is_sparse(const struct kx_prep *p);

/* Floats of work area kx_kernel_forward needs for a chain of n layers
 * (chain[0]'s input is `in` wide) and batches of up to max_rows rows; 0
 * on overflow. The panel kernels' does not grow with max_rows. */
size_t kx_kernel_work_floats(enum kx_kernel K, const struct kx_prep *const *chain, size_t n,
                             size_t in, size_t max_rows);

/* Run a chain of prepared layers: y (rows, width of the last) from x
 * (rows, chain[0]'s in), rows <= the work's max_rows; work (64-byte
 * aligned) of kx_kernel_work_floats floats. A row's result depends only
 * on the row, never on the batch it comes in. */
void kx_kernel_forward(enum kx_kernel K, const struct kx_prep *const *chain, size_t n,
                       float *work, const float *x, size_t rows, float *y);

#endif
