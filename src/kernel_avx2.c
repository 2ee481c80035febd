/* kernel_avx2.c - the forward pass with rows in SIMD lanes (x86-64 AVX2+FMA).
 *
 * A batch is cut into panels of KX_PANEL rows. Inside a panel every
 * activation is stored feature-major, x[i][r] for the panel's rows r, so
 * one 8-float vector holds feature i of eight rows. Then:
 *
 *  - act(x) and the B-spline bases are computed for eight rows at a time
 *    (closed form on uniform cubic grids, straight into the layout the
 *    product below reads: no scatter, no zeroing, no packing);
 *  - the product of that panel, A[k][r] with k over [act(x) | B(x)], and
 *    the layer weights is a register-blocked kernel of 16 rows by up to 6
 *    outputs, whose result Y[o][r] is already the next layer's input;
 *  - the weights are cut into 6-output tiles once, at load time;
 *  - a KAN layer with a large grid takes a sparse path instead (use_sparse):
 *    per row only the base row and the k+1 spline rows under its bases.
 *
 * Each lane computes its own row with the same sequence of operations,
 * whatever the other lanes hold, so a row's result does not depend on the
 * batch it comes in or the thread that runs it. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kernel.h"

#if defined(__x86_64__) && defined(__GNUC__)
#define KX_HAVE_AVX2 1
#include <immintrin.h>
#define KX_AVX2 __attribute__((target("avx2,fma")))
#define KX_INLINE static inline __attribute__((always_inline))
#else
#define KX_HAVE_AVX2 0
#endif

/* A tile is KX_NR outputs of the panel's KX_PANEL rows: 12 accumulators,
 * plus the KX_PV vectors of a column and one broadcast, in the 16 ymm
 * registers. */
#define KX_PV (KX_PANEL / 8)   /* vectors in a panel's column */
#define KX_NR (12 / KX_PV)     /* outputs in a tile */
/* K is cut into blocks of this many (act and bases columns) so the
 * panel's slice of a block stays in L1 while every output tile reads it:
 * 16 KiB. No difference for bench16 (K = 576); 10% for K = 2304. */
#define KX_KC 256

int
kx_avx2_supported(void)
{
#if KX_HAVE_AVX2
	__builtin_cpu_init();
	return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
#else
	return 0;
#endif
}

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
static size_t
sparse_rows(const struct kx_layer *l)
{
	return 1 + l->G + 3 * l->k;
}

/* the width of a row: out rounded up to whole vectors */
static size_t
sparse_width(const struct kx_layer *l)
{
	return (l->out + 7) / 8 * 8;
}

static int
sparse_weights(struct kx_layer *l)
{
	size_t nb = l->G + l->k, rows = sparse_rows(l), op = sparse_width(l), i, o, j, s;
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
	l->sparse_w = w;
	l->sparse_op = op;
	return 0;
}

int kx_avx2_sparse = -1;

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
use_sparse(const struct kx_layer *l)
{
	size_t nb = l->G + l->k, cols = 1 + nb, sp = l->k + 2, i, bytes;

	if (kx_avx2_sparse == 0)
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
	if (kx_mul(l->in, sparse_rows(l), &bytes) != 0 ||
	    kx_mul(bytes, sparse_width(l) * sizeof(float), &bytes) != 0 ||
	    bytes > ((size_t)16 << 20))
		return 0;
	if (kx_avx2_sparse == 1)
		return 1;
	if (l->out <= 8)          /* one vector of sums: one FMA chain, latency-bound */
		return cols >= 4 * sp;
	if (l->out <= 64)
		return cols >= 2 * sp;
	return cols >= 4 * sp && bytes <= ((size_t)4 << 20);
}

int
kx_avx2_pack(struct kx_layer *l)
{
	if (l->kind == KX_LAYER_KAN) {
		size_t K;
		if (use_sparse(l))
			return sparse_weights(l);
		if (kx_mul(l->in, 1 + l->G + l->k, &K) != 0)
			return -1;
		l->tiled = tile_weights(l->packed, K, l->out);
		return l->tiled ? 0 : -1;
	}
	if (l->kind == KX_LAYER_DENSE) {
		l->tiled = tile_weights(l->kernel, l->in, l->out);
		return l->tiled ? 0 : -1;
	}
	return 0;
}

/* The layout of a work area (floats): two activation panels of max_width
 * features, the [act | B] panel of the widest KAN layer, and "extra": one
 * row of outputs for row-wise activations, or the bases of one value. */
static int
work_layout(const struct kx_model *m, size_t *panel, size_t *apanel, size_t *extra)
{
	size_t amax = 0, ex = m->max_width, i, s;

	for (i = 0; i < m->n_layers; i++) {
		const struct kx_layer *l = &m->layers[i];
		if (l->kind != KX_LAYER_KAN)
			continue;
		/* dense: [act | B]; sparse: act, mu and k+1 bases per input */
		if (kx_mul(l->in, 1 + l->G + l->k + (l->G < 2 ? 2 : 0), &s) != 0)
			return -1;
		if (s > amax)
			amax = s;
		if (l->G + l->k > ex)
			ex = l->G + l->k;
	}
	if (kx_mul(m->max_width, KX_PANEL, panel) != 0 || kx_mul(amax, KX_PANEL, apanel) != 0)
		return -1;
	*extra = ex;
	return 0;
}

size_t
kx_avx2_work_floats(const struct kx_model *m)
{
	size_t panel, apanel, extra, total;

	if (work_layout(m, &panel, &apanel, &extra) != 0 || kx_mul(panel, 2, &total) != 0 ||
	    kx_add(total, apanel, &total) != 0 || kx_add(total, extra, &total) != 0)
		return 0;
	return total;
}

#if KX_HAVE_AVX2

/* ---- the product: C[o][16] = sum_k A[k][16] * W[k][o], o < nr ---- */

/* One k of a tile: acc[j] += A[k][.] * W[k][j] for its nr outputs */
KX_AVX2 KX_INLINE void
k_step(const float *restrict a, const float *restrict w, size_t k, const int nr,
       __m256 acc[KX_NR][KX_PV])
{
	__m256 av[KX_PV];
	int j, v;

#pragma GCC unroll 4
	for (v = 0; v < KX_PV; v++)
		av[v] = _mm256_load_ps(a + k * KX_PANEL + 8 * v);
#pragma GCC unroll 12
	for (j = 0; j < nr; j++) {
		__m256 b = _mm256_broadcast_ss(w + k * (size_t)nr + (size_t)j);
#pragma GCC unroll 4
		for (v = 0; v < KX_PV; v++)
			acc[j][v] = _mm256_fmadd_ps(av[v], b, acc[j][v]);
	}
}

/* C[o][r] (+)= sum_k A[k][r] W[k][o] for the nr outputs of one tile. A
 * tile of one to three outputs has too few accumulators to hide the FMA
 * latency, so it sums every ph-th k into its own set and adds the sets
 * at the end: a fixed order, whatever the batch. */
KX_AVX2 KX_INLINE void
tile_pxn(size_t K, const float *restrict a, const float *restrict w, float *restrict c,
         const int nr, const int first)
{
	enum { PHMAX = 4 };
	const int ph = nr <= 1 ? 4 : nr <= 3 ? 2 : 1;
	__m256 acc[PHMAX][KX_NR][KX_PV];
	size_t k = 0;
	int j, v, q;

#pragma GCC unroll 4
	for (q = 0; q < ph; q++)
#pragma GCC unroll 12
		for (j = 0; j < nr; j++)
#pragma GCC unroll 4
			for (v = 0; v < KX_PV; v++)
				acc[q][j][v] = first || q ? _mm256_setzero_ps()
				                          : _mm256_load_ps(c + j * KX_PANEL + 8 * v);
	for (; k + (size_t)ph <= K; k += (size_t)ph)
#pragma GCC unroll 4
		for (q = 0; q < ph; q++)
			k_step(a, w, k + (size_t)q, nr, acc[q]);
	for (; k < K; k++)
		k_step(a, w, k, nr, acc[0]);
#pragma GCC unroll 12
	for (j = 0; j < nr; j++)
#pragma GCC unroll 4
		for (v = 0; v < KX_PV; v++) {
			__m256 t = acc[0][j][v];
			if (ph == 2)
				t = _mm256_add_ps(t, acc[1][j][v]);
			else if (ph == 4)
				t = _mm256_add_ps(_mm256_add_ps(t, acc[1][j][v]),
				                  _mm256_add_ps(acc[2][j][v], acc[3][j][v]));
			_mm256_store_ps(c + j * KX_PANEL + 8 * v, t);
		}
}

#define KX_TILE(NR)                                                                        \
	KX_AVX2 static void tile##NR(size_t K, const float *a, const float *w, float *c, int first) \
	{                                                                                      \
		if (first)                                                                     \
			tile_pxn(K, a, w, c, NR < KX_NR ? NR : KX_NR, 1);                      \
		else                                                                           \
			tile_pxn(K, a, w, c, NR < KX_NR ? NR : KX_NR, 0);                      \
	}
KX_TILE(1)
KX_TILE(2)
KX_TILE(3)
KX_TILE(4)
KX_TILE(5)
KX_TILE(6)

typedef void (*tile_fn)(size_t, const float *, const float *, float *, int);
static const tile_fn tiles[7] = { NULL, tile1, tile2, tile3, tile4, tile5, tile6 };

/* Y[o][r] = sum_k A[k][r] W[k][o] for a panel */
static void
panel_product(const float *tiled, size_t K, size_t out, const float *a, float *y)
{
	size_t o0, k0;

	/* K in blocks whose slice of the panel stays in L1 across the
	 * output tiles; each block continues the sums the last one stored,
	 * so the additions happen in the same order as in one pass */
	for (k0 = 0; k0 < K; k0 += KX_KC) {
		size_t kc = K - k0 < KX_KC ? K - k0 : KX_KC;
		for (o0 = 0; o0 < out; o0 += KX_NR) {
			size_t nr = out - o0 < KX_NR ? out - o0 : KX_NR;
			tiles[nr](kc, a + k0 * KX_PANEL, tiled + o0 * K + k0 * nr, y + o0 * KX_PANEL,
			          k0 == 0);
		}
	}
}

/* ---- bases ---- */

/* The four pieces of the uniform cubic B-spline at u in [0, 1): the
 * bases mu-3 .. mu on the interval mu. Horner with FMA: 12 operations,
 * and at most an ulp or so from the exact values (the unit tests hold
 * the kernel to the Cox-de Boor reference at every knot). */
KX_AVX2 KX_INLINE void
cubic_pieces(__m256 u, __m256 *b0, __m256 *b1, __m256 *b2, __m256 *b3)
{
	const __m256 s6 = _mm256_set1_ps(1.0f / 6.0f), half = _mm256_set1_ps(0.5f);
	__m256 u2 = _mm256_mul_ps(u, u), w = _mm256_sub_ps(_mm256_set1_ps(1.0f), u);

	*b3 = _mm256_mul_ps(u2, _mm256_mul_ps(u, s6));                     /* u^3/6 */
	*b0 = _mm256_mul_ps(_mm256_mul_ps(w, w), _mm256_mul_ps(w, s6));    /* (1-u)^3/6 */
	*b1 = _mm256_fmadd_ps(u2, _mm256_fmsub_ps(u, half, _mm256_set1_ps(1.0f)),
	                      _mm256_set1_ps(2.0f / 3.0f));                   /* u^3/2 - u^2 + 2/3 */
	*b2 = _mm256_fmadd_ps(u, _mm256_fmadd_ps(u, _mm256_fnmadd_ps(u, half, half), half),
	                      s6);                                            /* -u^3/2 + u^2/2 + u/2 + 1/6 */
}

/* Uniform grid, k = 3, eight rows of feature i: with f = (x - t0) / h,
 * mu = floor(f) (returned; 0 where f is outside [0, fn), ok false there)
 * and u = f - mu, the four bases that can be non-zero, mu-3 .. mu. */
KX_AVX2 KX_INLINE __m256i
cubic_span8(__m256 x, float t0, float inv_h, float fn, __m256 *ok, __m256 *b0, __m256 *b1,
            __m256 *b2, __m256 *b3)
{
	__m256 f = _mm256_mul_ps(_mm256_sub_ps(x, _mm256_set1_ps(t0)), _mm256_set1_ps(inv_h));
	__m256 fs, u;
	__m256i m;

	*ok = _mm256_and_ps(_mm256_cmp_ps(f, _mm256_setzero_ps(), _CMP_GE_OQ),
	                    _mm256_cmp_ps(f, _mm256_set1_ps(fn), _CMP_LT_OQ));
	fs = _mm256_and_ps(*ok, f);
	m = _mm256_cvttps_epi32(fs);
	u = _mm256_sub_ps(fs, _mm256_cvtepi32_ps(m));
	cubic_pieces(u, b0, b1, b2, b3);
	return m;
}

/* Uniform grid, k = 3, eight rows of feature i: with f = (x - t0) / h,
 * mu = floor(f), u = f - mu, the four non-zero bases are the cubic
 * B-spline pieces of u, at columns mu-3 .. mu; every other column is 0.
 * cubic_bases() in kernel.c computes the same pieces without FMA. */
KX_AVX2 KX_INLINE void
cubic_cols(__m256 x, float t0, float inv_h, float fn, size_t nb, float *dst)
{
	__m256 ok, b0, b1, b2, b3;
	__m256i m = cubic_span8(x, t0, inv_h, fn, &ok, &b0, &b1, &b2, &b3);
	/* column j takes b0 where mu = j+3, b1 where mu = j+2, b2 where
	 * mu = j+1, b3 where mu = j: e_q below is (mu == j+q), each compare
	 * made once and slid along; a row outside the grid matches none */
	__m256i mu = _mm256_blendv_epi8(_mm256_set1_epi32(-1000), m, _mm256_castps_si256(ok));
	__m256 e0 = _mm256_castsi256_ps(_mm256_cmpeq_epi32(mu, _mm256_setzero_si256()));
	__m256 e1 = _mm256_castsi256_ps(_mm256_cmpeq_epi32(mu, _mm256_set1_epi32(1)));
	__m256 e2 = _mm256_castsi256_ps(_mm256_cmpeq_epi32(mu, _mm256_set1_epi32(2)));
	__m256i jj = _mm256_set1_epi32(3);
	size_t j;

	for (j = 0; j < nb; j++) {
		__m256 e3 = _mm256_castsi256_ps(_mm256_cmpeq_epi32(mu, jj));
		__m256 v = _mm256_blendv_ps(_mm256_blendv_ps(_mm256_blendv_ps(_mm256_and_ps(e0, b3), b2, e1),
		                                             b1, e2), b0, e3);
		_mm256_store_ps(dst + j * KX_PANEL, v);
		e0 = e1;
		e1 = e2;
		e2 = e3;
		jj = _mm256_add_epi32(jj, _mm256_set1_epi32(1));
	}
}

/* ---- activations ---- */

/* silu(x) = x / (1 + exp(-x)), with exp as kx_expf() in act.c computes it
 * (the same operations in the same order, so the same bits). */
KX_AVX2 KX_INLINE __m256
silu8(__m256 x)
{
	__m256 t, fn, r, p, e, z = _mm256_sub_ps(_mm256_setzero_ps(), x);
	__m256i n;

	/* max/min return their second operand for a NaN first: NaN -> -87 */
	z = _mm256_max_ps(z, _mm256_set1_ps(-87.0f));
	z = _mm256_min_ps(z, _mm256_set1_ps(88.0f));
	t = _mm256_mul_ps(z, _mm256_set1_ps(1.44269504088896341f));
	fn = _mm256_sub_ps(_mm256_add_ps(t, _mm256_set1_ps(12582912.0f)), _mm256_set1_ps(12582912.0f));
	r = _mm256_sub_ps(z, _mm256_mul_ps(fn, _mm256_set1_ps(0.693145751953125f)));
	r = _mm256_sub_ps(r, _mm256_mul_ps(fn, _mm256_set1_ps(1.428606765330187045e-6f)));
	p = _mm256_add_ps(_mm256_set1_ps(1.0f / 720), _mm256_mul_ps(r, _mm256_set1_ps(1.0f / 5040)));
	p = _mm256_add_ps(_mm256_set1_ps(1.0f / 120), _mm256_mul_ps(r, p));
	p = _mm256_add_ps(_mm256_set1_ps(1.0f / 24), _mm256_mul_ps(r, p));
	p = _mm256_add_ps(_mm256_set1_ps(1.0f / 6), _mm256_mul_ps(r, p));
	p = _mm256_add_ps(_mm256_set1_ps(0.5f), _mm256_mul_ps(r, p));
	p = _mm256_add_ps(_mm256_set1_ps(1.0f), _mm256_mul_ps(r, p));
	p = _mm256_add_ps(_mm256_set1_ps(1.0f), _mm256_mul_ps(r, p));
	n = _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(fn), _mm256_set1_epi32(127)), 23);
	e = _mm256_mul_ps(p, _mm256_castsi256_ps(n));
	return _mm256_div_ps(x, _mm256_add_ps(_mm256_set1_ps(1.0f), e));
}

KX_AVX2 static void
act_panel(enum kx_act act, const float *x, float *y, size_t n)
{
	size_t i;

	if (act == KX_ACT_SILU) {
		for (i = 0; i < n; i += 8)
			_mm256_store_ps(y + i, silu8(_mm256_load_ps(x + i)));
		return;
	}
	kx_act_apply(act, x, y, n);
}

/* ---- the sparse path ---- */

/* Uniform grid, k = 3, eight rows: mu (0 for a row outside the grid) and
 * the four bases (0 outside), as cubic_cols() computes them. */
KX_AVX2 KX_INLINE void
cubic_span(__m256 x, float t0, float inv_h, float fn, int32_t *mu, float *L)
{
	__m256 ok, b0, b1, b2, b3;
	__m256i m = cubic_span8(x, t0, inv_h, fn, &ok, &b0, &b1, &b2, &b3);

	_mm256_store_si256((__m256i *)mu, m);  /* fs = 0 outside: mu = 0 */
	_mm256_store_ps(L, _mm256_and_ps(ok, b0));
	_mm256_store_ps(L + KX_PANEL, _mm256_and_ps(ok, b1));
	_mm256_store_ps(L + 2 * KX_PANEL, _mm256_and_ps(ok, b2));
	_mm256_store_ps(L + 3 * KX_PANEL, _mm256_and_ps(ok, b3));
}

/* Outputs ob .. ob+8nv-1 of the whole panel: input by input, for each
 * row, the base weights times act(x) and the k+1 spline rows under the
 * row's bases are added to the row's sums, kept in c[r][0..64) between
 * inputs so the weights of an input are read once for all 16 rows. */
KX_AVX2 KX_INLINE void
sparse_block(const struct kx_layer *l, size_t ob, const float *act, const int32_t *mu,
             const float *L, float *restrict c, const int nv, const size_t kk)
{
	size_t in = l->in, k = kk ? kk : l->k, op = l->sparse_op, rows = sparse_rows(l);
	size_t i, idx, r;
	const float *w = l->sparse_w + ob;
	int v;

	for (i = 0; i < in; i++) {
		const float *wi = w + i * rows * op;
		for (r = 0; r < KX_PANEL; r++) {
			const float *ws = wi + (size_t)(1 + mu[i * KX_PANEL + r]) * op;
			const float *Li = L + i * (k + 1) * KX_PANEL + r;
			float *cr = c + r * 64;
			__m256 acc[8], a = _mm256_broadcast_ss(act + i * KX_PANEL + r);
#pragma GCC unroll 8
			for (v = 0; v < nv; v++)
				acc[v] = _mm256_fmadd_ps(a, _mm256_loadu_ps(wi + 8 * v),
				                         _mm256_load_ps(cr + 8 * v));
#pragma GCC unroll 4
			for (idx = 0; idx <= k; idx++) {
				__m256 b = _mm256_broadcast_ss(Li + idx * KX_PANEL);
#pragma GCC unroll 8
				for (v = 0; v < nv; v++)
					acc[v] = _mm256_fmadd_ps(b, _mm256_loadu_ps(ws + idx * op + 8 * v),
					                         acc[v]);
			}
#pragma GCC unroll 8
			for (v = 0; v < nv; v++)
				_mm256_store_ps(cr + 8 * v, acc[v]);
		}
	}
}

#define KX_SPARSE_BLOCK(NV)                                                                 \
	KX_AVX2 static void sparse_block##NV(const struct kx_layer *l, size_t ob,                \
	                                     const float *act, const int32_t *mu, const float *L, \
	                                     float *c)                                           \
	{                                                                                       \
		if (l->k == 3)                                                                  \
			sparse_block(l, ob, act, mu, L, c, NV, 3);                              \
		else                                                                            \
			sparse_block(l, ob, act, mu, L, c, NV, 0);                              \
	}
KX_SPARSE_BLOCK(1)
KX_SPARSE_BLOCK(2)
KX_SPARSE_BLOCK(3)
KX_SPARSE_BLOCK(4)
KX_SPARSE_BLOCK(5)
KX_SPARSE_BLOCK(6)
KX_SPARSE_BLOCK(7)
KX_SPARSE_BLOCK(8)

typedef void (*sparse_fn)(const struct kx_layer *, size_t, const float *, const int32_t *,
                          const float *, float *);
static const sparse_fn sparse_blocks[9] = { NULL, sparse_block1, sparse_block2, sparse_block3,
	sparse_block4, sparse_block5, sparse_block6, sparse_block7, sparse_block8 };

KX_AVX2 static void
kan_sparse_panel(const struct kx_layer *l, const float *x, float *y, float *a)
{
	size_t in = l->in, G = l->G, k = l->k, n = G + 2 * k, nk = n + 1, i, r, idx, ob;
	float *act = a, *L = a + 2 * in * KX_PANEL, Ls[KX_MAX_ORDER + 1];
	float c[KX_PANEL * 64] __attribute__((aligned(32)));
	int32_t *mu = (int32_t *)(a + in * KX_PANEL);

	act_panel(l->act, x, act, in * KX_PANEL);
	for (i = 0; i < in; i++) {
		float *Li = L + i * (k + 1) * KX_PANEL;
		if (l->uniform && k == 3) {
			for (r = 0; r < KX_PANEL; r += 8)
				cubic_span(_mm256_load_ps(x + i * KX_PANEL + r), l->t0[i], l->inv_h[i],
				           (float)n, mu + i * KX_PANEL + r, Li + r);
			continue;
		}
		for (r = 0; r < KX_PANEL; r++) {
			long m = kx_bspline_span(l->ext + i * nk, G, k, x[i * KX_PANEL + r], Ls, l->uniform,
			                         l->inv_h[i]);
			mu[i * KX_PANEL + r] = m < 0 ? 0 : (int32_t)m;
			for (idx = 0; idx <= k; idx++)
				Li[idx * KX_PANEL + r] = m < 0 ? 0.0f : Ls[idx];
		}
	}
	for (ob = 0; ob < l->sparse_op; ob += 64) {
		size_t nv = (l->sparse_op - ob) / 8 < 8 ? (l->sparse_op - ob) / 8 : 8, o,
		       end = l->out - ob < 64 ? l->out - ob : 64;
		memset(c, 0, sizeof c);
		sparse_blocks[nv](l, ob, act, mu, L, c);
		for (o = 0; o < end; o++)
			for (r = 0; r < KX_PANEL; r++)
				y[(ob + o) * KX_PANEL + r] = c[r * 64 + o];
	}
}

/* ---- layers on a panel ---- */

/* Row-wise activations (softmax) over the outputs of each lane. */
static void
rowwise_panel(enum kx_act act, float *y, size_t out, float *row)
{
	size_t r, o;

	for (r = 0; r < KX_PANEL; r++) {
		for (o = 0; o < out; o++)
			row[o] = y[o * KX_PANEL + r];
		kx_act_apply_rows(act, row, 1, out);
		for (o = 0; o < out; o++)
			y[o * KX_PANEL + r] = row[o];
	}
}

KX_AVX2 static void
kan_panel(const struct kx_layer *l, const float *x, float *y, float *a, float *scratch)
{
	size_t in = l->in, G = l->G, k = l->k, nb = G + k, n = G + 2 * k, nk = n + 1, i, r, j;
	float *bases = a + in * KX_PANEL;

	act_panel(l->act, x, a, in * KX_PANEL);
	if (l->uniform && k == 3) {
		for (i = 0; i < in; i++) {
			float *dst = bases + i * nb * KX_PANEL;
			for (r = 0; r < KX_PANEL; r += 8)
				cubic_cols(_mm256_load_ps(x + i * KX_PANEL + r), l->t0[i], l->inv_h[i],
				           (float)n, nb, dst + r);
		}
	} else {
		/* any order, any grid: local de Boor per row, as the BLIS path */
		for (i = 0; i < in; i++) {
			float *dst = bases + i * nb * KX_PANEL;
			for (r = 0; r < KX_PANEL; r++) {
				memset(scratch, 0, nb * sizeof *scratch);
				kx_bspline_local(l->ext + i * nk, G, k, x[i * KX_PANEL + r], scratch,
				                 l->uniform, l->inv_h[i]);
				for (j = 0; j < nb; j++)
					dst[j * KX_PANEL + r] = scratch[j];
			}
		}
	}
	panel_product(l->tiled, in * (1 + nb), l->out, a, y);
}

KX_AVX2 static void
dense_panel(const struct kx_layer *l, const float *x, float *y, float *row)
{
	size_t o, r;

	panel_product(l->tiled, l->in, l->out, x, y);
	if (l->bias)
		for (o = 0; o < l->out; o++)
			for (r = 0; r < KX_PANEL; r++)
				y[o * KX_PANEL + r] += l->bias[o];
	if (kx_act_is_rowwise(l->act))
		rowwise_panel(l->act, y, l->out, row);
	else
		act_panel(l->act, y, y, l->out * KX_PANEL);
}

KX_AVX2 void
kx_avx2_forward(const struct kx_model *m, float *work, const float *x, size_t n, float *y)
{
	size_t in = m->in, out = m->out, panel, apanel, extra_n, r0, r, i, li;
	float *buf[2], *a, *extra;

	work_layout(m, &panel, &apanel, &extra_n);  /* checked by kx_avx2_work_floats */
	buf[0] = work;
	buf[1] = work + panel;
	a = work + 2 * panel;
	extra = a + apanel;
	for (r0 = 0; r0 < n; r0 += KX_PANEL) {
		size_t np = n - r0 < KX_PANEL ? n - r0 : KX_PANEL, cur = 0;
		const float *src = x + r0 * in;

		/* rows in, feature-major; lanes past the batch hold 0 */
		for (r = 0; r < np; r++)
			for (i = 0; i < in; i++)
				buf[0][i * KX_PANEL + r] = src[r * in + i];
		for (; r < KX_PANEL; r++)
			for (i = 0; i < in; i++)
				buf[0][i * KX_PANEL + r] = 0.0f;
		for (li = 0; li < m->n_layers; li++) {
			const struct kx_layer *l = &m->layers[li];
			const float *xp = buf[cur];
			float *yp = buf[cur ^ 1];
			switch (l->kind) {
			case KX_LAYER_KAN:
				if (l->sparse_w)
					kan_sparse_panel(l, xp, yp, a);
				else
					kan_panel(l, xp, yp, a, extra);
				break;
			case KX_LAYER_DENSE:
				dense_panel(l, xp, yp, extra);
				break;
			case KX_LAYER_ACTIVATION:
				if (kx_act_is_rowwise(l->act)) {
					memcpy(yp, xp, l->in * KX_PANEL * sizeof *yp);
					rowwise_panel(l->act, yp, l->out, extra);
				} else {
					act_panel(l->act, xp, yp, l->in * KX_PANEL);
				}
				break;
			case KX_LAYER_DROPOUT:
				continue;  /* identity: the panel stays where it is */
			}
			cur ^= 1;
		}
		for (r = 0; r < np; r++)
			for (i = 0; i < out; i++)
				y[(r0 + r) * out + i] = buf[cur][i * KX_PANEL + r];
	}
}

#else /* !KX_HAVE_AVX2 */

void
kx_avx2_forward(const struct kx_model *m, float *work, const float *x, size_t n, float *y)
{
	(void)m, (void)work, (void)x, (void)n, (void)y;
	abort();  /* kx_avx2_supported() said no */
}

#endif
