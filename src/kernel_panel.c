/* kernel_panel.c - what the two panel kernels (kernel_avx2.c, AVX2+FMA;
 * kernel_portable.c, plain C) share outside their arithmetic: the weights
 * cut into tiles or laid out for the sparse path when a model is loaded,
 * the choice between dense and sparse for a KAN layer, and the layout of
 * a work area. The arithmetic itself is kernel_panel_body.h, one source
 * compiled once per backend of kernel_lanes.h. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kernel.h"
#include "kernel_impl.h"
#include "kernel_panel.h"
#include "kxlimits.h"

/* K x out weights w (row-major: w[k * out + o]) into tiles: the tile of
 * outputs o0 .. o0+nr-1 (nr = KX_NR but the last) holds w[k][o0 + c] at
 * t[o0 * K + k * nr + c]. */
static float *
tile_weights(const float *w, size_t K, size_t out)
{
	float *t = kx_mallocarray(K, out * sizeof(float));
	size_t o0, k, c;

	if (!t)
		return NULL;
	for (o0 = 0; o0 < out; o0 += KX_NR) {
		size_t nr = out - o0 < KX_NR ? out - o0 : KX_NR;
		float *dst = t + o0 * K;
		for (k = 0; k < K; k++)
			for (c = 0; c < nr; c++)
				dst[k * nr + c] = w[k * out + o0 + c];
	}
	return t;
}

/* The sparse path's weights: for input i, rows of sparse_op floats: the
 * base weights, then k zero rows, the G+k spline rows, k zero rows, so
 * the k+1 rows under the bases mu-k .. mu start at row 1 + mu for any
 * mu of the extended grid. */
size_t
kx_panel_sparse_rows(const struct kx_kop *l)
{
	return 1 + l->G + 3 * l->k;
}

/* the width of a row: out rounded up to whole vectors */
static size_t
sparse_width(const struct kx_kop *l)
{
	return (l->out + 7) / 8 * 8;
}

static int
sparse_weights(struct kx_prep *p)
{
	const struct kx_kop *l = &p->op;
	size_t nb = l->G + l->k, rows = kx_panel_sparse_rows(l), op = sparse_width(l), i, o, j, s;
	float *w;

	if (kx_mul(l->in, rows, &s) != 0 || kx_mul(s, op, &s) != 0 ||
	    !(w = kx_calloc(s, sizeof(float))))
		return -1;
	for (i = 0; i < l->in; i++) {
		float *wi = w + i * rows * op;
		for (o = 0; o < l->out; o++) {
			wi[o] = l->base_w[i * l->out + o];
			for (j = 0; j < nb; j++)
				wi[(1 + l->k + j) * op + o] = l->spline_w[(i * l->out + o) * nb + j];
		}
	}
	p->sparse_w = w;
	p->sparse_op = op;
	return 0;
}

int kx_panel_sparse = -1;

/* Dense or sparse for a KAN layer. The dense kernel multiplies all
 * 1+G+k columns of every input, k+1 of them non-zero bases at most; the
 * sparse path multiplies only the base row and the k+1 spline rows
 * under the bases, but through memory: its sums go to L1 and back once
 * per input, and its weights are read at row-dependent places, so a
 * product costs it about twice what it costs the dense kernel, more once
 * the weights leave L2. Measured on the layers of bench/layers.c (in 16,
 * 64, 256; out 1 to 256; G 3, 5, 10, 20; k 3), sparse lost at G = 5 and
 * won at G = 10 while its outputs fit one block of 64, so the rule below
 * switches between them (1+G+k >= 2(k+2): G >= 6 for k = 3); a layer of
 * up to 8 outputs, whose sums form one FMA chain, and a wider one with
 * weights under 4 MiB won only at G = 20 (1+G+k >= 4(k+2): G >= 16). See
 * bench/README.md.
 *
 * The sparse path also needs every weight finite: the reference
 * multiplies the zero bases by every weight too, and a NaN or infinite
 * weight must poison the sum there as well. */
static int
use_sparse(const struct kx_kop *l)
{
	size_t nb = l->G + l->k, cols = 1 + nb, sp = l->k + 2, i, bytes;

	if (kx_panel_sparse == 0)
		return 0;
	for (i = 0; i < l->in * l->out; i++)
		if (!isfinite(l->base_w[i]))
			return 0;
	for (i = 0; i < l->in * l->out * nb; i++)
		if (!isfinite(l->spline_w[i]))
			return 0;
	/* padded to 8 outputs and 2k rows an input, the sparse weights can be
	 * several times the dense ones (8x for one output): past 16 MiB they
	 * are slow anyway, so a large model never pays that in memory */
	if (kx_mul(l->in, kx_panel_sparse_rows(l), &bytes) != 0 ||
	    kx_mul(bytes, sparse_width(l) * sizeof(float), &bytes) != 0 ||
	    bytes > ((size_t)16 << 20))
		return 0;
	if (kx_panel_sparse == 1)
		return 1;
	if (l->out <= 8)          /* one vector of sums: one FMA chain, latency-bound */
		return cols >= 4 * sp;
	if (l->out <= 64)
		return cols >= 2 * sp;
	return cols >= 4 * sp && bytes <= ((size_t)4 << 20);
}

int
kx_panel_prepare(struct kx_prep *p)
{
	const struct kx_kop *l = &p->op;

	if (l->fast == KX_FAST_KAN) {
		size_t K;
		if (use_sparse(l))
			return sparse_weights(p);
		if (kx_mul(l->in, 1 + l->G + l->k, &K) != 0)
			return -1;
		p->tiled = tile_weights(p->packed, K, l->out);
		return p->tiled ? 0 : -1;
	}
	if (l->fast == KX_FAST_MATMUL) {
		p->tiled = tile_weights(l->kernel, l->in, l->out);
		return p->tiled ? 0 : -1;
	}
	return 0;
}

/* The layout of a work area (floats): two activation panels of the
 * widest layer (or input), the [act | B] panel of the widest KAN layer,
 * and "extra": one row of outputs for row-wise activations, or the bases
 * of one value. */
int
kx_panel_work_layout(const struct kx_prep *const *chain, size_t n, size_t in, size_t *panel,
                     size_t *apanel, size_t *extra)
{
	size_t amax = 0, width = in, ex, i, s;

	for (i = 0; i < n; i++)
		if (chain[i]->op.out > width)
			width = chain[i]->op.out;
	ex = width;
	for (i = 0; i < n; i++) {
		const struct kx_kop *l = &chain[i]->op;
		if (l->fast != KX_FAST_KAN)
			continue;
		/* dense: [act | B]; sparse: act, mu and k+1 bases per input */
		if (kx_mul(l->in, 1 + l->G + l->k + (l->G < 2 ? 2 : 0), &s) != 0)
			return -1;
		if (s > amax)
			amax = s;
		if (l->G + l->k > ex)
			ex = l->G + l->k;
	}
	if (kx_mul(width, KX_PANEL, panel) != 0 || kx_mul(amax, KX_PANEL, apanel) != 0)
		return -1;
	*extra = ex;
	return 0;
}

size_t
kx_panel_work_floats(const struct kx_prep *const *chain, size_t n, size_t in)
{
	size_t panel, apanel, extra, total;

	if (kx_panel_work_layout(chain, n, in, &panel, &apanel, &extra) != 0 ||
	    kx_mul(panel, 2, &total) != 0 || kx_add(total, apanel, &total) != 0 ||
	    kx_add(total, extra, &total) != 0)
		return 0;
	return total;
}
