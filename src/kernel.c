/* kernel.c - the choice of a kernel, and the one call that prepares a
 * layer's weights for it (see kernel.h). */
#include <stdlib.h>
#include <string.h>

#include "kernel.h"
#include "kernel_impl.h"
#include "kxlimits.h"

static int kx_kernel_chosen = -1;

int
kx_kernel_select(const char *name)
{
	if (name == NULL || *name == '\0' || strcmp(name, "auto") == 0) {
		/* the portable kernel is the AVX2 kernel's bits on any CPU, but
		 * where it must emulate each fused multiply-add (x86-64 without
		 * FMA) it runs about 50 times slower than BLIS: BLIS there, and
		 * KANX_KERNEL=portable for the bits */
		kx_kernel_chosen = kx_avx2_supported() ? KX_KERNEL_AVX2 :
		                   kx_portable_fast() ? KX_KERNEL_PORTABLE : KX_KERNEL_BLIS;
		return 0;
	}
	if (strcmp(name, "blis") == 0) {
		kx_kernel_chosen = KX_KERNEL_BLIS;
		return 0;
	}
	if (strcmp(name, "portable") == 0) {
		kx_kernel_chosen = KX_KERNEL_PORTABLE;
		return 0;
	}
	if (strcmp(name, "avx2") == 0 && kx_avx2_supported()) {
		kx_kernel_chosen = KX_KERNEL_AVX2;
		return 0;
	}
	return -1;
}

enum kx_kernel
kx_kernel_current(void)
{
	if (kx_kernel_chosen < 0)
		kx_kernel_select(NULL);
	return (enum kx_kernel)kx_kernel_chosen;
}

const char *
kx_kernel_name(enum kx_kernel k)
{
	return k == KX_KERNEL_AVX2 ? "avx2" : k == KX_KERNEL_PORTABLE ? "portable" : "blis";
}

int
kx_kernel_is_panel(enum kx_kernel k)
{
	return k == KX_KERNEL_AVX2 || k == KX_KERNEL_PORTABLE;
}

/* W = [base_w ; spline_w as (in*(G+k), out)]: the KAN layer as one matrix
 * product of [act(x) | B(x)] (the BLIS kernel; the panel kernels tile it). */
static float *
kan_pack(const struct kx_kop *l)
{
	size_t nb = l->G + l->k, rows, i, o, j;
	float *w;

	if (kx_mul(l->in, 1 + nb, &rows) != 0 || !(w = kx_mallocarray(rows, l->out * sizeof(float))))
		return NULL;
	memcpy(w, l->base_w, l->in * l->out * sizeof(float));
	for (i = 0; i < l->in; i++)
		for (j = 0; j < nb; j++)
			for (o = 0; o < l->out; o++)
				w[(l->in + i * nb + j) * l->out + o] = l->spline_w[(i * l->out + o) * nb + j];
	return w;
}

struct kx_prep *
kx_kernel_prepare(enum kx_kernel K, const struct kx_kop *op)
{
	struct kx_prep *p = calloc(1, sizeof *p);

	if (!p)
		return NULL;
	p->op = *op;
	if (op->fast == KX_FAST_KAN && !(p->packed = kan_pack(op)))
		goto fail;
	if (kx_kernel_is_panel(K)) {
		if (kx_panel_prepare(p) != 0)
			goto fail;
		/* the tiles replace the BLIS layout */
		free(p->packed);
		p->packed = NULL;
	}
	return p;
fail:
	kx_prep_free(p);
	return NULL;
}

void
kx_prep_free(struct kx_prep *p)
{
	if (!p)
		return;
	free(p->packed);
	free(p->tiled);
	free(p->sparse_w);
	free(p);
}

int
kx_prep_is_sparse(const struct kx_prep *p)
{
	return p && p->sparse_w != NULL;
}

size_t
kx_kernel_work_floats(enum kx_kernel K, const struct kx_prep *const *chain, size_t n, size_t in,
                      size_t max_rows)
{
	if (n == 0)
		return 0;
	if (kx_kernel_is_panel(K))
		return kx_panel_work_floats(chain, n, in);
	return kx_blis_work_floats(chain, n, in, max_rows);
}

void
kx_kernel_forward(enum kx_kernel K, const struct kx_prep *const *chain, size_t n, float *work,
                  const float *x, size_t rows, float *y)
{
	if (K == KX_KERNEL_AVX2)
		kx_avx2_forward(chain, n, work, x, rows, y);
	else if (K == KX_KERNEL_PORTABLE)
		kx_portable_forward(chain, n, work, x, rows, y);
	else
		kx_blis_forward(chain, n, work, x, rows, y);
}
