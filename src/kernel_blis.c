/* kernel_blis.c - the BLIS kernel: a KAN layer as local de Boor (only the
 * k+1 bases that can be non-zero, bspline.h) into a [act(x) | B(x)]
 * matrix times the packed weights [base_w ; spline_w] in one BLIS sgemm;
 * a Dense layer as one sgemm; the rest as the reference computes them.
 * Layer by layer, over the whole batch. */
#include <blis.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "kernel.h"
#include "kernel_impl.h"
#include "kxlimits.h"

/* C = A B (+ beta C), row-major. BLIS's small-matrix ("sup") path sums in
 * another order than its packed path, so the same row would come out a few
 * ulp differently depending on the batch it arrives in; with sup off, a
 * row's result depends only on the row. One thread: kanx splits batches
 * itself (cmd_predict.c). */
static void
sgemm(size_t m, size_t n, size_t kk, const float *a, const float *b, float *c, float beta)
{
	float alpha = 1.0f;
	rntm_t rntm = BLIS_RNTM_INITIALIZER;

	bli_rntm_set_num_threads(1, &rntm);
	bli_rntm_disable_l3_sup(&rntm);
	bli_sgemm_ex(BLIS_NO_TRANSPOSE, BLIS_NO_TRANSPOSE, (dim_t)m, (dim_t)n, (dim_t)kk, &alpha,
	             (float *)a, (inc_t)kk, 1, (float *)b, (inc_t)n, 1, &beta, c, (inc_t)n, 1,
	             NULL, &rntm);
}

/* Uniform grids (kn->closed), by rows: the k+1 bases of every feature
 * from the cell of x (kx_closed_cell: f = (x - t0)/h in double, mu =
 * floor(f), u = f - mu). B-splines of order k >= 1 are continuous, so a
 * knot that rounding puts in the neighbouring cell changes a basis by an
 * ulp or so, not by a step. The first loop is branch-free so the
 * compiler can vectorise it; the second scatters. */
#if defined(__GNUC__) && !defined(__clang__)
#define KX_VECTOR_CLONES __attribute__((optimize("O3", "no-trapping-math")))
#else
#define KX_VECTOR_CLONES
#endif

KX_VECTOR_CLONES
static void
cubic_bases(const float *restrict x, const float *restrict t0, const double *restrict inv_h,
            size_t in, double fn, int *restrict mu, float *restrict B0, float *restrict B1,
            float *restrict B2, float *restrict B3)
{
	size_t i;

	for (i = 0; i < in; i++) {
		float u;
		long m = kx_closed_cell(x[i], t0[i], inv_h[i], fn, &u);
		float u2 = u * u, u3 = u2 * u, w = 1.0f - u, s6 = 1.0f / 6.0f;
		mu[i] = m < 0 ? -1000 : (int)m;
		B0[i] = w * w * w * s6;
		B1[i] = (3.0f * u3 - 6.0f * u2 + 4.0f) * s6;
		B2[i] = (-3.0f * u3 + 3.0f * u2 + 3.0f * u + 1.0f) * s6;
		B3[i] = u3 * s6;
	}
}

#define KX_ROW_CHUNK 256

static void
row_uniform(const struct kx_kop *l, const float *xr, float *seg)
{
	const struct kx_knots *kn = l->kn;
	size_t in = l->in, G = l->G, k = l->k, nb = G + k, n = G + 2 * k, c, i, idx;
	float B[4 * KX_ROW_CHUNK], L[KX_MAX_ORDER + 1];
	int mu[KX_ROW_CHUNK];

	for (c = 0; c < in; c += KX_ROW_CHUNK) {
		size_t m = in - c < KX_ROW_CHUNK ? in - c : KX_ROW_CHUNK;
		if (k == 3) {
			const float *B0 = B, *B1 = B + KX_ROW_CHUNK, *B2 = B + 2 * KX_ROW_CHUNK,
			            *B3 = B + 3 * KX_ROW_CHUNK;
			cubic_bases(xr + c, kn->t0 + c, kn->inv_hd + c, m, (double)n, mu, B,
			            B + KX_ROW_CHUNK, B + 2 * KX_ROW_CHUNK, B + 3 * KX_ROW_CHUNK);
			/* branch-free scatter: bases that fall off either end of
			 * the basis range (or all four, outside the grid) go to a
			 * dump slot instead of being tested for */
			for (i = 0; i < m; i++) {
				float *a = seg + (c + i) * nb, dump;
				long j = (long)mu[i] - 3;
				*((unsigned long)j < nb ? a + j : &dump) = B0[i];
				*((unsigned long)(j + 1) < nb ? a + j + 1 : &dump) = B1[i];
				*((unsigned long)(j + 2) < nb ? a + j + 2 : &dump) = B2[i];
				*((unsigned long)(j + 3) < nb ? a + j + 3 : &dump) = B3[i];
			}
			continue;
		}
		for (i = 0; i < m; i++) {
			float *a = seg + (c + i) * nb, u;
			long j = kx_closed_cell(xr[c + i], kn->t0[c + i], kn->inv_hd[c + i], (double)n, &u);
			if (j < 0)
				continue;
			kx_bspline_uniform(u, k, L);
			for (j -= (long)k, idx = 0; idx <= k; idx++, j++)
				if (j >= 0 && j < (long)nb)
					a[j] = L[idx];
		}
	}
}

/* A KAN layer: a is scratch of n*in*(1+G+k) floats. */
static void
kan(const struct kx_prep *p, const float *x, size_t n, float *y, float *a)
{
	const struct kx_kop *l = &p->op;
	const struct kx_knots *kn = l->kn;
	size_t nb = l->G + l->k, nk = l->G + 2 * l->k + 1, width = l->in * (1 + nb), b, i;

	memset(a, 0, n * width * sizeof(float));
	for (b = 0; b < n; b++) {
		float *row = a + b * width;
		const float *xr = x + b * l->in;
		kx_act_apply_rows(l->act, xr, row, 1, l->in);
		if (kn->closed) {
			row_uniform(l, xr, row + l->in);
			continue;
		}
		for (i = 0; i < l->in; i++)
			kx_bspline_local(kn->ext + i * nk, l->G, l->k, xr[i], row + l->in + i * nb, 0, 0.0f);
	}
	sgemm(n, l->out, width, a, p->packed, y, 0.0f);
	/* Keras's overflow past x_safe (a NaN is never past it): tested here,
	 * the call is rare */
	for (b = 0; b < n; b++)
		for (i = 0; i < l->in; i++)
			if (fabsf(x[b * l->in + i]) > kn->x_safe)
				kx_kan_extreme(kn, l->spline_w, l->out, i, x[b * l->in + i], y + b * l->out, 1);
}

/* [act | B] scratch floats a row of layer l needs: in * (1+G+k) for a
 * KAN layer, 0 otherwise; 0 also on overflow (with *ok cleared). */
static size_t
scratch_row(const struct kx_kop *l, int *ok)
{
	size_t s;

	if (l->fast != KX_FAST_KAN)
		return 0;
	if (kx_mul(l->in, 1 + l->G + l->k, &s) != 0) {
		*ok = 0;
		return 0;
	}
	return s;
}

/* The work area: two activation buffers of max_rows rows of the widest
 * layer, then the [act | B] matrix of the widest KAN layer. */
static void
layout(const struct kx_prep *const *chain, size_t n, size_t in, size_t *width, size_t *amax, int *ok)
{
	size_t i, s;

	*width = in;
	*amax = 0;
	for (i = 0; i < n; i++) {
		if (chain[i]->op.out > *width)
			*width = chain[i]->op.out;
		s = scratch_row(&chain[i]->op, ok);
		if (s > *amax)
			*amax = s;
	}
}

size_t
kx_blis_work_floats(const struct kx_prep *const *chain, size_t n, size_t in, size_t max_rows)
{
	size_t width, amax, buf, a, total;
	int ok = 1;

	layout(chain, n, in, &width, &amax, &ok);
	if (!ok || kx_mul(max_rows, width, &buf) != 0 || kx_mul(buf, 2, &total) != 0 ||
	    kx_mul(max_rows, amax ? amax : 1, &a) != 0 || kx_add(total, a, &total) != 0)
		return 0;
	return total;
}

void
kx_blis_forward(const struct kx_prep *const *chain, size_t n, float *work, const float *x,
                size_t rows, float *y)
{
	size_t width, amax, i;
	float *buf[2], *a;
	const float *cur = x;
	int ok = 1;

	layout(chain, n, chain[0]->op.in, &width, &amax, &ok);
	buf[0] = work;
	buf[1] = work + rows * width;
	a = buf[1] + rows * width;
	for (i = 0; i < n; i++) {
		const struct kx_prep *p = chain[i];
		const struct kx_kop *l = &p->op;
		float *dst = (i + 1 == n) ? y : buf[i % 2];
		if (l->fast == KX_FAST_KAN) {
			kan(p, cur, rows, dst, a);
		} else if (l->fast == KX_FAST_MATMUL) {
			sgemm(rows, l->out, l->in, cur, l->kernel, dst, 0.0f);
			kx_dense_epilogue(l, rows, dst);
		} else {
			kx_ref_forward(l, cur, rows, dst);
		}
		cur = dst;
	}
}
