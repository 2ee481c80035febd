/* bspline.c - the B-spline math of the KANLinear layer (see bspline.h). */
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "bspline.h"
#include "kxlimits.h"   /* kx_mallocarray, KX_MAX_ORDER */

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
overflow_guard(struct kx_knots *kn, size_t i, const float *t, size_t nk)
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
	kn->dmin[i] = dmin;
	kn->tmax[i] = tmax;
	safe = (double)FLT_MAX * fmin((double)dmin, 1.0) * (1.0 - 0x1p-20) - (double)tmax;
	if (!(safe >= (double)kn->x_safe))
		kn->x_safe = safe > 0.0 ? (float)safe : 0.0f;
}

void
kx_knots_free(struct kx_knots *kn)
{
	free(kn->ext);
	free(kn->t0);
	free(kn->inv_h);
	free(kn->inv_hd);
	free(kn->dmin);
	free(kn->tmax);
	kn->ext = kn->t0 = kn->inv_h = kn->dmin = kn->tmax = NULL;
	kn->inv_hd = NULL;
}

int
kx_knots_init(struct kx_knots *kn, const float *grid, size_t in, size_t G, size_t k)
{
	size_t nk = G + 2 * k + 1, i, j;
	float lo = INFINITY, hi = -INFINITY;
	double hk = 0.0, dev = 0.0;

	kx_knots_free(kn);
	kn->in = in;
	kn->G = G;
	kn->k = k;
	kn->ext = kx_mallocarray(in, nk * sizeof(float));
	kn->t0 = kx_mallocarray(in, sizeof(float));
	kn->inv_h = kx_mallocarray(in, sizeof(float));
	kn->inv_hd = kx_mallocarray(in, sizeof(double));
	kn->dmin = kx_mallocarray(in, sizeof(float));
	kn->tmax = kx_mallocarray(in, sizeof(float));
	if (!kn->ext || !kn->t0 || !kn->inv_h || !kn->inv_hd || !kn->dmin || !kn->tmax)
		return -1;
	kn->uniform = 1;
	kn->x_safe = k > 0 ? FLT_MAX : INFINITY;
	for (i = 0; i < in; i++) {
		const float *g = grid + i * (G + 1);
		float *t = kn->ext + i * nk;
		float h = (g[G] - g[0]) / (float)G;
		float tol = 1e-5f * fmaxf(fabsf(g[G] - g[0]), 1e-30f);
		double d;

		for (j = 0; j < k; j++)
			t[j] = g[0] - h * (float)(k - j);
		for (j = 0; j <= G; j++)
			t[k + j] = g[j];
		for (j = 1; j <= k; j++)
			t[k + G + j] = g[G] + h * (float)j;
		kn->t0[i] = t[0];
		kn->inv_h[i] = 1.0f / h;
		kn->inv_hd[i] = 1.0 / (double)h;
		if (!(h > 0.0f) || !isfinite(kn->inv_h[i]))
			kn->uniform = 0;
		for (j = 1; j < G; j++)
			if (fabsf(g[j] - (g[0] + h * (float)j)) > tol)
				kn->uniform = 0;
		d = knot_deviation(t, nk, h);
		if (!(d <= dev))
			dev = d;
		/* order 0: Keras only compares x with the knots, never divides,
		 * so no x makes its bases overflow (x_safe stays infinite) */
		if (k > 0)
			overflow_guard(kn, i, t, nk);
		else
			kn->dmin[i] = kn->tmax[i] = 0.0f;
		if (g[0] < lo)
			lo = g[0];
		if (g[G] > hi)
			hi = g[G];
	}
	kn->lo = lo;
	kn->hi = hi;
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
	kn->knot_dev = dev;
	kn->closed = kn->uniform && k >= 1 && (8.0 * hk + 4.0) * dev + 0x1p-22 <= 0x1p-15;
	return 0;
}

void
kx_bspline_ref(const struct kx_knots *kn, size_t i, float x, float *out, float *tmp)
{
	size_t k = kn->k, nk = kn->G + 2 * k + 1, n = nk - 1, d, j;
	const float *t = kn->ext + i * nk;

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
	memcpy(out, tmp, (kn->G + k) * sizeof(float));
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
 * evaluation never forms those ratios; for |x| > kn->x_safe this adds what
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
kx_kan_extreme(const struct kx_knots *kn, const float *spline_w, size_t out, size_t i, float x,
               float *y, size_t stride)
{
	size_t nb = kn->G + kn->k, o, j;
	float ax = fabsf(x), tm = kn->tmax[i], *bases, *tmp;

	if (!(ax > kn->x_safe))
		return;
	if (ax - tm == ax && ax + tm == ax) {
		if (isinf(ax / kn->dmin[i]))
			for (o = 0; o < out; o++)
				y[o * stride] = NAN;
		return;
	}
	bases = kx_mallocarray(2 * nb + kn->k + 1, sizeof(float));
	if (!bases) {  /* out of memory here: NaN, what Keras gives nearly always */
		for (o = 0; o < out; o++)
			y[o * stride] = NAN;
		return;
	}
	tmp = bases + nb;
	kx_bspline_ref(kn, i, x, bases, tmp);
	for (j = 0; j < nb && isfinite(bases[j]); j++)
		;
	if (j < nb)
		for (o = 0; o < out; o++) {
			const float *w = spline_w + (i * out + o) * nb;
			float s = 0.0f;
			for (j = 0; j < nb; j++)
				s += bases[j] * w[j];
			y[o * stride] += s;
		}
	free(bases);
}

/* Any order k, uniform grid: de Boor with the constant denominators d*h. */
void
kx_bspline_uniform(float u, size_t k, float *L)
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

int
kx_grid_extends(const float *g, size_t G, size_t k, int all)
{
	float h = (g[G] - g[0]) / (float)G;
	size_t j;

	for (j = 0; all && j <= G; j++)
		if (!isfinite(g[j]))
			return 0;
	return isfinite(h) && isfinite(g[0] - h * (float)k) && isfinite(g[G] + h * (float)k);
}
