/* kernel.c - KAN and Dense kernels: the plain reference and the fast path.
 *
 * Both evaluate the kanx KANLinear layer exactly as Keras does in float32:
 * the grid of each input feature is extended by k knots on each side with
 * spacing h = (grid[G] - grid[0]) / G; the degree-0 bases are 1 where
 * t_j <= x < t_{j+1}; Cox-de Boor raises the degree with a zero denominator
 * replaced by 1; out = act(x) @ base_w + B(x) @ spline_w. */
#include <blis.h>
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "kernel.h"

/* How far the extended knots t[0..nk) of one feature lie from the lattice
 * t[0] + j*h, in units of h (in double, where t[0] + j*h of float knots
 * is exact to far below the bound it is held to); +inf for a spacing
 * that is not a positive finite number. */
static double
knot_deviation(const float *t, size_t nk, float h)
{
	double hd = (double)h, worst = 0.0, d;
	size_t j;

	if (!(h > 0.0f) || !isfinite(1.0 / hd))
		return INFINITY;
	for (j = 0; j < nk; j++) {
		d = fabs((double)t[j] - ((double)t[0] + (double)j * hd)) / hd;
		if (!(d <= worst))  /* a NaN knot makes it NaN: never closed */
			worst = d;
	}
	return worst;
}

/* What decides whether Keras's recursion overflows at x (kx_kan_extreme):
 * the smallest denominator it divides by, and the largest |knot|. Every
 * denominator t_{j+p} - t_j is 0 (then 1) or at least a non-zero spacing
 * t_{i+1} - t_i inside it, in float32 too (rounding is monotonic). So
 * below x_safe, |x - t_j| / den stays under FLT_MAX for every j and p. */
static void
overflow_guard(struct kx_layer *l, size_t i, const float *t, size_t nk)
{
	float dmin = INFINITY, tmax = 0.0f;
	double safe;
	size_t j;

	for (j = 0; j + 1 < nk; j++) {
		float d = t[j + 1] - t[j];
		if (d == 0.0f)
			d = 1.0f;
		if (!(d >= dmin))  /* a NaN knot: NaN, never safe */
			dmin = d;
	}
	for (j = 0; j < nk; j++)
		if (!(fabsf(t[j]) <= tmax))
			tmax = fabsf(t[j]);
	l->dmin[i] = dmin;
	l->tmax[i] = tmax;
	safe = (double)FLT_MAX * fmin((double)dmin, 1.0) * (1.0 - 0x1p-20) - (double)tmax;
	if (!(safe >= (double)l->x_safe))
		l->x_safe = safe > 0.0 ? (float)safe : 0.0f;
}

int
kx_kan_prepare(struct kx_layer *l)
{
	size_t G = l->G, k = l->k, nk = G + 2 * k + 1, i, j;
	float lo = INFINITY, hi = -INFINITY;
	double hk = 0.0, dev = 0.0;

	l->ext = kx_mallocarray(l->in, nk * sizeof(float));
	l->t0 = kx_mallocarray(l->in, sizeof(float));
	l->inv_h = kx_mallocarray(l->in, sizeof(float));
	l->inv_hd = kx_mallocarray(l->in, sizeof(double));
	l->dmin = kx_mallocarray(l->in, sizeof(float));
	l->tmax = kx_mallocarray(l->in, sizeof(float));
	if (!l->ext || !l->t0 || !l->inv_h || !l->inv_hd || !l->dmin || !l->tmax)
		return -1;
	l->uniform = 1;
	l->x_safe = FLT_MAX;
	for (i = 0; i < l->in; i++) {
		const float *g = l->grid + i * (G + 1);
		float *t = l->ext + i * nk;
		float h = (g[G] - g[0]) / (float)G;
		float tol = 1e-5f * fmaxf(fabsf(g[G] - g[0]), 1e-30f);
		double d;

		for (j = 0; j < k; j++)
			t[j] = g[0] - h * (float)(k - j);
		for (j = 0; j <= G; j++)
			t[k + j] = g[j];
		for (j = 1; j <= k; j++)
			t[k + G + j] = g[G] + h * (float)j;
		l->t0[i] = t[0];
		l->inv_h[i] = 1.0f / h;
		l->inv_hd[i] = 1.0 / (double)h;
		if (!(h > 0.0f) || !isfinite(l->inv_h[i]))
			l->uniform = 0;
		for (j = 1; j < G; j++)
			if (fabsf(g[j] - (g[0] + h * (float)j)) > tol)
				l->uniform = 0;
		d = knot_deviation(t, nk, h);
		if (!(d <= dev))
			dev = d;
		overflow_guard(l, i, t, nk);
		if (g[0] < lo)
			lo = g[0];
		if (g[G] > hi)
			hi = g[G];
	}
	l->grid_lo = lo;
	l->grid_hi = hi;
	/* The closed form evaluates the B-splines of the lattice t0 + j*h at
	 * f = (x - t0)/h; Keras runs Cox-de Boor on the actual float32 knots,
	 * each within dev*h of that lattice. De Boor's algorithm for the
	 * spline sum_j c_j B_j(x) is k rounds of convex combinations of the
	 * coefficients, with weights (x - t_j)/(t_{j+m} - t_j), m = k..1; a
	 * knot moved by at most dev*h moves each weight by at most 3 dev/m
	 * and each round's result by at most 2 max|c| times that, so the two
	 * splines differ by at most 6 H_k dev max|c| (H_k = 1 + 1/2 + ... +
	 * 1/k), to first order in dev; where x sits within dev*h of a knot,
	 * the two evaluations may use neighbouring intervals, which the
	 * splines' continuity (k >= 1) bounds by 4 dev max|c| more. With 8
	 * for 6 to cover the higher orders, and 2^-22 for the rounding of f
	 * (computed in double, so it does not grow with G), the closed form
	 * is taken only when the bound is at most 2^-15 of the largest
	 * coefficient: a Keras linspace grid of G up to about 20 on [-1, 1]
	 * passes (dev ~ 1e-7 to 1e-6: float32 rounding of the knots); a grid
	 * nudged by 2e-5 of its span, or a float32 linspace at large G, does
	 * not, and runs the general path on its actual knots. */
	for (j = 1; j <= k; j++)
		hk += 1.0 / (double)j;
	l->knot_dev = dev;
	l->closed = l->uniform && k >= 1 && (8.0 * hk + 4.0) * dev + 0x1p-22 <= 0x1p-15;
	return 0;
}

int
kx_kan_pack(struct kx_layer *l)
{
	size_t nb = l->G + l->k, rows, i, o, j;

	if (kx_mul(l->in, 1 + nb, &rows) != 0)
		return -1;
	l->packed = kx_mallocarray(rows, l->out * sizeof(float));
	if (!l->packed)
		return -1;
	memcpy(l->packed, l->base_w, l->in * l->out * sizeof(float));
	for (i = 0; i < l->in; i++)
		for (j = 0; j < nb; j++)
			for (o = 0; o < l->out; o++)
				l->packed[(l->in + i * nb + j) * l->out + o] =
				    l->spline_w[(i * l->out + o) * nb + j];
	return 0;
}

void
kx_bspline_ref(const struct kx_layer *l, size_t i, float x, float *out, float *tmp)
{
	size_t k = l->k, nk = l->G + 2 * k + 1, n = nk - 1, d, j;
	const float *t = l->ext + i * nk;

	for (j = 0; j < n; j++)
		tmp[j] = (x >= t[j] && x < t[j + 1]) ? 1.0f : 0.0f;
	for (d = 1; d <= k; d++) {
		for (j = 0; j + d < n; j++) {
			float d1 = t[j + d] - t[j], d2 = t[j + d + 1] - t[j + 1];
			if (d1 == 0.0f)
				d1 = 1.0f;
			if (d2 == 0.0f)
				d2 = 1.0f;
			tmp[j] = (x - t[j]) / d1 * tmp[j] + (t[j + d + 1] - x) / d2 * tmp[j + 1];
		}
	}
	memcpy(out, tmp, (l->G + k) * sizeof(float));
}

void
kx_kan_forward_ref(const struct kx_layer *l, const float *x, size_t n, float *y)
{
	size_t nb = l->G + l->k, b, i, o, j;
	float *bases = malloc(nb * sizeof(float)), *tmp = malloc((nb + l->k + 1) * sizeof(float));
	float *a = malloc(l->in * sizeof(float));

	if (!bases || !tmp || !a)
		abort();
	for (b = 0; b < n; b++) {
		float *yr = y + b * l->out;
		for (o = 0; o < l->out; o++)
			yr[o] = 0.0f;
		kx_act_apply_rows(l->act, x + b * l->in, a, 1, l->in);  /* row-wise ones need the row */
		for (i = 0; i < l->in; i++) {
			float xi = x[b * l->in + i];
			kx_bspline_ref(l, i, xi, bases, tmp);
			for (o = 0; o < l->out; o++) {
				float s = a[i] * l->base_w[i * l->out + o];
				const float *w = l->spline_w + (i * l->out + o) * nb;
				for (j = 0; j < nb; j++)
					s += bases[j] * w[j];
				yr[o] += s;
			}
		}
	}
	free(bases);
	free(tmp);
	free(a);
}

/* The interval mu with t[mu] <= x < t[mu+1] among the n intervals of t, or
 * -1 when there is none (x outside the extended grid, or NaN). */
static long
find_interval(const float *t, size_t n, float x, int uniform, float inv_h)
{
	size_t lo, hi;

	if (!(x >= t[0] && x < t[n]))
		return -1;
	if (uniform) {
		float f = (x - t[0]) * inv_h;
		long mu = (long)f;
		if (mu < 0)
			mu = 0;
		if (mu > (long)n - 1)
			mu = (long)n - 1;
		/* the closed form is a guess: settle it against the knots */
		while (mu > 0 && x < t[mu])
			mu--;
		while (mu < (long)n - 1 && x >= t[mu + 1])
			mu++;
		if (x >= t[mu] && x < t[mu + 1])
			return mu;
	}
	/* largest j with t[j] <= x */
	lo = 0;
	hi = n;
	while (hi - lo > 1) {
		size_t mid = (lo + hi) / 2;
		if (t[mid] <= x)
			lo = mid;
		else
			hi = mid;
	}
	return (long)lo;
}

/* Local de Boor: the k+1 bases that can be non-zero at x, into
 * L[0..k] for the bases mu-k .. mu (those off either end of the basis
 * range are 0), with exactly the reference arithmetic for each of them.
 * Returns mu, or -1 (L untouched) when x is outside the extended grid. */
long
kx_bspline_span(const float *t, size_t G, size_t k, float x, float *L, int uniform, float inv_h)
{
	size_t n = G + 2 * k, d, idx;
	long mu = find_interval(t, n, x, uniform, inv_h), j;

	if (mu < 0)
		return -1;
	for (idx = 0; idx < k; idx++)
		L[idx] = 0.0f;
	L[k] = 1.0f;
	for (d = 1; d <= k; d++) {
		long nd = (long)(n - d);  /* bases of degree d: 0..nd-1 */
		for (idx = k - d; idx <= k; idx++) {
			j = mu - (long)k + (long)idx;
			if (j < 0 || j >= nd) {
				L[idx] = 0.0f;
				continue;
			}
			{
				float d1 = t[j + (long)d] - t[j], d2 = t[j + (long)d + 1] - t[j + 1];
				float right = idx < k ? L[idx + 1] : 0.0f;
				if (d1 == 0.0f)
					d1 = 1.0f;
				if (d2 == 0.0f)
					d2 = 1.0f;
				L[idx] = (x - t[j]) / d1 * L[idx] + (t[j + (long)d + 1] - x) / d2 * right;
			}
		}
	}
	for (idx = 0; idx <= k; idx++) {
		j = mu - (long)k + (long)idx;
		if (j < 0 || j >= (long)(G + k))
			L[idx] = 0.0f;
	}
	return mu;
}

/* The same, written into the row segment a[0..G+k) (which must be zero). */
void
kx_bspline_local(const float *t, size_t G, size_t k, float x, float *a, int uniform, float inv_h)
{
	float L[KX_MAX_ORDER + 1];
	long mu = kx_bspline_span(t, G, k, x, L, uniform, inv_h), j;
	size_t idx;

	if (mu < 0)
		return;
	for (idx = 0; idx <= k; idx++) {
		j = mu - (long)k + (long)idx;
		if (j >= 0 && j < (long)(G + k))
			a[j] = L[idx];
	}
}

/* Keras's float32 recursion at an extreme x: it computes (x - t_j) / den
 * times the basis below for every j, also where that basis is 0, so
 * where a ratio overflows it makes inf * 0 = NaN (or an infinity), and
 * the layer's outputs for that row are NaN (or infinite). The local
 * evaluation never forms those ratios; for |x| > l->x_safe this adds what
 * Keras gets to y[o * stride], o < out.
 *
 * Usually x is then so large that x - t_j rounds to x for every knot:
 * every ratio is |x| / den, the largest |x| / dmin, and every basis of
 * degree 0 is 0 (x is outside the grid), so the rows are NaN exactly when
 * |x| / dmin overflows. Otherwise (knots as large as x, or spacings near
 * 0) this runs Keras's full recursion (kx_bspline_ref) and adds the
 * non-finite part of the spline sum: an infinity or a NaN decides the
 * sum whatever the order of the additions. */
void
kx_kan_extreme(const struct kx_layer *l, size_t i, float x, float *y, size_t stride)
{
	size_t nb = l->G + l->k, o, j;
	float ax = fabsf(x), tm = l->tmax[i], *bases, *tmp;

	if (!(ax > l->x_safe))
		return;
	if (ax - tm == ax && ax + tm == ax) {
		if (isinf(ax / l->dmin[i]))
			for (o = 0; o < l->out; o++)
				y[o * stride] = NAN;
		return;
	}
	bases = kx_mallocarray(2 * nb + l->k + 1, sizeof(float));
	if (!bases) {  /* out of memory here: NaN, what Keras gives nearly always */
		for (o = 0; o < l->out; o++)
			y[o * stride] = NAN;
		return;
	}
	tmp = bases + nb;
	kx_bspline_ref(l, i, x, bases, tmp);
	for (j = 0; j < nb && isfinite(bases[j]); j++)
		;
	if (j < nb)
		for (o = 0; o < l->out; o++) {
			const float *w = l->spline_w + (i * l->out + o) * nb;
			float s = 0.0f;
			for (j = 0; j < nb; j++)
				s += bases[j] * w[j];
			y[o * stride] += s;
		}
	free(bases);
}

/* C = A B (+ beta C), row-major. BLIS's small-matrix ("sup") path sums in
 * another order than its packed path, so the same row would come out a few
 * ulp differently depending on the batch it arrives in; with sup off, a
 * row's result depends only on the row. One thread: kanx splits batches
 * itself (model.c). */
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

/* Uniform grids (l->closed), by rows: the k+1 bases of every feature
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

/* Any order k, uniform grid: de Boor with the constant denominators d*h. */
static void
uniform_bases(float u, size_t k, float *L)
{
	size_t d, idx;
	float fk = (float)k;

	for (idx = 0; idx < k; idx++)
		L[idx] = 0.0f;
	L[k] = 1.0f;
	for (d = 1; d <= k; d++) {
		float inv_d = 1.0f / (float)d, fd = (float)d;
		for (idx = k - d; idx < k; idx++)
			L[idx] = ((u + fk - (float)idx) * L[idx] +
			          ((float)idx + fd + 1.0f - fk - u) * L[idx + 1]) * inv_d;
		L[k] = u * L[k] * inv_d;
	}
}

#define KX_ROW_CHUNK 256

static void
row_uniform(const struct kx_layer *l, const float *xr, float *seg)
{
	size_t in = l->in, G = l->G, k = l->k, nb = G + k, n = G + 2 * k, c, i, idx;
	float B[4 * KX_ROW_CHUNK], L[KX_MAX_ORDER + 1];
	int mu[KX_ROW_CHUNK];

	for (c = 0; c < in; c += KX_ROW_CHUNK) {
		size_t m = in - c < KX_ROW_CHUNK ? in - c : KX_ROW_CHUNK;
		if (k == 3) {
			const float *B0 = B, *B1 = B + KX_ROW_CHUNK, *B2 = B + 2 * KX_ROW_CHUNK,
			            *B3 = B + 3 * KX_ROW_CHUNK;
			cubic_bases(xr + c, l->t0 + c, l->inv_hd + c, m, (double)n, mu, B,
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
			long j = kx_closed_cell(xr[c + i], l->t0[c + i], l->inv_hd[c + i], (double)n, &u);
			if (j < 0)
				continue;
			uniform_bases(u, k, L);
			for (j -= (long)k, idx = 0; idx <= k; idx++, j++)
				if (j >= 0 && j < (long)nb)
					a[j] = L[idx];
		}
	}
}

void
kx_kan_forward_fast(const struct kx_layer *l, const float *x, size_t n, float *y, float *a)
{
	size_t nb = l->G + l->k, nk = l->G + 2 * l->k + 1, width = l->in * (1 + nb), b, i;

	memset(a, 0, n * width * sizeof(float));
	for (b = 0; b < n; b++) {
		float *row = a + b * width;
		const float *xr = x + b * l->in;
		kx_act_apply_rows(l->act, xr, row, 1, l->in);
		if (l->closed) {
			row_uniform(l, xr, row + l->in);
			continue;
		}
		for (i = 0; i < l->in; i++)
			kx_bspline_local(l->ext + i * nk, l->G, l->k, xr[i], row + l->in + i * nb, 0, 0.0f);
	}
	sgemm(n, l->out, width, a, l->packed, y, 0.0f);
	for (b = 0; b < n; b++)
		for (i = 0; i < l->in; i++)
			kx_kan_extreme(l, i, x[b * l->in + i], y + b * l->out, 1);
}

void
kx_dense_forward(const struct kx_layer *l, const float *x, size_t n, float *y, int ref)
{
	size_t b, i, o;

	if (ref) {
		for (b = 0; b < n; b++)
			for (o = 0; o < l->out; o++) {
				float s = 0.0f;
				for (i = 0; i < l->in; i++)
					s += x[b * l->in + i] * l->kernel[i * l->out + o];
				y[b * l->out + o] = s;
			}
	} else {
		sgemm(n, l->out, l->in, x, l->kernel, y, 0.0f);
	}
	if (l->bias)
		for (b = 0; b < n; b++)
			for (o = 0; o < l->out; o++)
				y[b * l->out + o] += l->bias[o];
	kx_act_apply_rows(l->act, y, y, n, l->out);
}

static int kx_threads = 1;

void
kx_kernel_threads(int n)
{
	kx_threads = n < 1 ? 1 : n > KX_MAX_THREADS ? KX_MAX_THREADS : n;
	bli_thread_set_num_threads(1);
}

int
kx_kernel_get_threads(void)
{
	return kx_threads;
}

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
