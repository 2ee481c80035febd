/* tests/numeric.c - every kernel against Keras's formula, and the kernels
 * that promise the same bits against each other.
 *
 *  - kernels: generated KAN models sweep G up to the loader's limit
 *    (65536) and k up to its limit (KX_MAX_ORDER), on linspace grids as
 *    Keras writes them, exactly uniform grids, grids nudged by 2e-5 of
 *    their span, float32 linspaces, random and repeated knots, and models
 *    mixing G and k across layers. Each of the reference, BLIS, AVX2
 *    (dense and sparse) and portable (dense and sparse) kernels is held to
 *    |kanx - ref| <= 1e-4 (1 + |ref|), where ref is Keras's formula
 *    evaluated in float64 (ref64), except where Keras's own float32
 *    evaluation is far from float64: there ref is the float32 Cox-de Boor
 *    in Keras's order of operations (ref32). See pick_ref(). The plain
 *    reference kernel (full Cox-de Boor, O(G k) a value) skips the models
 *    with (G + 2k) k over 300000; every other kernel runs them all.
 *  - bits: the AVX2 and portable kernels give the same bytes on every
 *    fixture and every generated model.
 *  - fmaf: the portable kernel's fused multiply-add without an FMA
 *    instruction against the C library's fmaf.
 *
 * Prints "not ok: ..." per failure, "# ..." notes (the worst error per
 * kernel) and "N passed, N failed". */
#include <cjson/cJSON.h>
#include <dirent.h>
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "kernel.h"
#include "kxlimits.h"
#include "layer.h"
#include "model.h"
#include "testutil.h"

#define KX_LANES_AVX2 0
#include "kernel_lanes.h"

static int passed, failed;

#define CHECK(cond) do { if (cond) passed++; else { failed++; \
	printf("not ok: %s:%d: %s\n", __FILE__, __LINE__, #cond); } } while (0)

static uint64_t rng_state = 0x2545F4914F6CDD1Du;

static uint64_t
rng(void)
{
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static double
unif(void)
{
	return (double)(rng() >> 11) * (1.0 / 9007199254740992.0);
}

/* ---- the kernels under test ---------------------------------------------- */

struct kern {
	const char *name, *select;
	int sparse;         /* kx_panel_sparse while the model is built */
	int ref;            /* 1: kx_model_forward_ref (the plain reference) */
	double worst;       /* worst |kanx - ref| / (1 + |ref|) seen */
	size_t values;
	double cpu;         /* seconds in its forward passes */
	char at[200];       /* where the worst was */
};

static struct kern kerns[] = {
	{ "reference", "blis", -1, 1, 0, 0, 0, "" },
	{ "blis", "blis", -1, 0, 0, 0, 0, "" },
	{ "avx2 dense", "avx2", 0, 0, 0, 0, 0, "" },
	{ "avx2 sparse", "avx2", 1, 0, 0, 0, 0, "" },
	{ "portable dense", "portable", 0, 0, 0, 0, 0, "" },
	{ "portable sparse", "portable", 1, 0, 0, 0, 0, "" },
};
#define NKERN (sizeof kerns / sizeof kerns[0])

/* ---- Keras's formula ------------------------------------------------------ */

/* The bases of one feature at x, by Cox-de Boor exactly as KANLinear
 * defines it: h = (grid[G] - grid[0]) / G, the grid extended by k knots
 * of spacing h on each side (grid[0] + (m - k - 1) h and grid[G] + m h,
 * m = 1..k), degree 0 is 1 where t_j <= x < t_{j+1}, and a zero
 * denominator is replaced by 1. Only the k+1 bases that can be non-zero
 * are computed (the others are 0 in the full recursion too). B has G+k
 * entries, t G+2k+1, tmp G+2k. REAL is double (ref64: the formula in
 * float64) or float (ref32: float32 in Keras's order of operations). */
#define KX_BASES(NAME, REAL)                                                                \
	static void NAME(const float *g, size_t G, size_t k, REAL x, REAL *t, REAL *B, REAL *tmp) \
	{                                                                                   \
		size_t n = G + 2 * k, m, lo, hi, mid;                                       \
		REAL h = ((REAL)g[G] - (REAL)g[0]) / (REAL)G;                               \
		long mu, j, p;                                                              \
                                                                                            \
		for (m = 1; m <= k; m++)                                                    \
			t[m - 1] = (REAL)g[0] + (REAL)((long)m - (long)k - 1) * h;          \
		for (m = 0; m <= G; m++)                                                    \
			t[k + m] = (REAL)g[m];                                              \
		for (m = 1; m <= k; m++)                                                    \
			t[k + G + m] = (REAL)g[G] + (REAL)m * h;                            \
		for (m = 0; m < G + k; m++)                                                 \
			B[m] = 0;                                                           \
		if (!(x >= t[0] && x < t[n]))                                               \
			return;                                                             \
		for (lo = 0, hi = n; hi - lo > 1;) { /* the last j with t_j <= x */        \
			mid = (lo + hi) / 2;                                                \
			if (t[mid] <= x)                                                    \
				lo = mid;                                                   \
			else                                                                \
				hi = mid;                                                   \
		}                                                                           \
		mu = (long)lo;                                                              \
		for (j = mu - (long)k - 1; j <= mu + 1; j++)                                \
			if (j >= 0 && j < (long)n)                                          \
				tmp[j] = 0;                                                 \
		tmp[mu] = 1;                                                                \
		for (p = 1; p <= (long)k; p++)                                              \
			for (j = mu - p < 0 ? 0 : mu - p; j <= mu && j + p < (long)n; j++) {     \
				REAL ld = t[j + p] - t[j], rd = t[j + p + 1] - t[j + 1];    \
				REAL right = j + 1 < (long)n ? tmp[j + 1] : 0;              \
				if (ld == 0)                                                \
					ld = 1;                                             \
				if (rd == 0)                                                \
					rd = 1;                                             \
				tmp[j] = (x - t[j]) / ld * tmp[j] + (t[j + p + 1] - x) / rd * right; \
			}                                                                   \
		for (j = mu - (long)k; j <= mu; j++)                                        \
			if (j >= 0 && j < (long)(G + k))                                    \
				B[j] = tmp[j];                                              \
	}
KX_BASES(bases64, double)
KX_BASES(bases32, float)

/* silu in float64 */
static double
silu64(double x)
{
	return x / (1.0 + exp(-x));
}

/* One KAN layer (silu) on n rows by the formula: y64 from x64 in float64
 * (ref64), y32 from x32 with float32 bases (ref32; the sums in double,
 * where Keras's einsum order is not known and adds only rounding). */
static void
layer_ref(const struct kx_layer *l, const double *x64, const float *x32, size_t n, double *y64,
          double *y32)
{
	size_t nb = l->G + l->k, nt = l->G + 2 * l->k + 1, b, i, o, j;
	double *t = malloc(nt * sizeof *t), *B = malloc(nb * sizeof *B), *tmp = malloc(nt * sizeof *tmp);
	float *tf = malloc(nt * sizeof *tf), *Bf = malloc(nb * sizeof *Bf), *tmpf = malloc(nt * sizeof *tmpf);

	if (!t || !B || !tmp || !tf || !Bf || !tmpf)
		abort();
	for (b = 0; b < n; b++) {
		for (o = 0; o < l->out; o++)
			y64[b * l->out + o] = y32[b * l->out + o] = 0.0;
		for (i = 0; i < l->in; i++) {
			double a64 = silu64(x64[b * l->in + i]), a32 = silu64((double)x32[b * l->in + i]);
			bases64(l->grid + i * (l->G + 1), l->G, l->k, x64[b * l->in + i], t, B, tmp);
			bases32(l->grid + i * (l->G + 1), l->G, l->k, x32[b * l->in + i], tf, Bf, tmpf);
			for (o = 0; o < l->out; o++) {
				const float *w = l->spline_w + (i * l->out + o) * nb;
				double s64 = a64 * l->base_w[i * l->out + o], s32 = a32 * l->base_w[i * l->out + o];
				for (j = 0; j < nb; j++) {
					s64 += B[j] * w[j];
					s32 += (double)Bf[j] * w[j];
				}
				y64[b * l->out + o] += s64;
				y32[b * l->out + o] += s32;
			}
		}
	}
	free(t);
	free(B);
	free(tmp);
	free(tf);
	free(Bf);
	free(tmpf);
}

/* The reference a value is held to: ref64, Keras's formula in float64,
 * where Keras's float32 evaluation agrees with it to 1e-5 (1 + |ref64|),
 * an order below the tolerance; elsewhere the problem is ill-conditioned
 * in float32 (knots far from zero relative to their spacing, so that the
 * float32 extended knots, x - t_j and the float32 outputs of a layer
 * feeding the next are off by a fraction of h) and Keras itself is far
 * from float64: there kanx must compute what Keras computes, ref32. */
static double
pick_ref(double r64, double r32, size_t *ill)
{
	if (fabs(r32 - r64) <= 1e-5 * (1.0 + fabs(r64)))
		return r64;
	(*ill)++;
	return r32;
}

/* ---- generated models ----------------------------------------------------- */

enum grid_kind {
	GRID_LINSPACE,    /* float32 of a float64 linspace, as Keras writes it */
	GRID_DYADIC,      /* exactly uniform in float32: -1 + j 2^-e */
	GRID_NUDGED,      /* linspace with the inner knots moved by +-2e-5 of the span
	                   * (at most h/10) */
	GRID_NEAR,        /* linspace with the inner knots moved by +-9e-6 of the span: within
	                   * the 1e-5 validate calls uniform, not on the lattice */
	GRID_F32,         /* linspace computed in float32: lo + j * h, h = float(span / G) */
	GRID_RANDOM,      /* increasing random knots */
	GRID_REPEATED,    /* linspace with knot 1 repeated */
	GRID_KINDS
};
static const char *const grid_names[GRID_KINDS] = { "linspace", "dyadic", "nudged", "near",
	"f32-linspace", "random", "repeated" };

static void
fill_grid(float *g, size_t G, enum grid_kind kind, size_t feature)
{
	/* [-1, 1], whose linspace is exact at G a power of 2, and [-0.3, 0.9],
	 * whose is not at any G */
	double lo = feature ? -0.3 : -1.0, hi = feature ? 0.9 : 1.0, span = hi - lo, step;
	size_t j;

	switch (kind) {
	case GRID_DYADIC:
		for (step = 1.0; step * (double)G > 2.0;)
			step /= 2.0;
		for (j = 0; j <= G; j++)
			g[j] = (float)((feature ? -0.25 : -1.0) + (double)j * step);
		return;
	case GRID_F32: {
		float h = (float)span / (float)G;
		for (j = 0; j <= G; j++)
			g[j] = (float)lo + (float)j * h;
		g[G] = (float)hi;
		return;
	}
	case GRID_RANDOM: {
		double acc = 0.0, *w = malloc((G + 1) * sizeof *w);
		if (!w)
			abort();
		for (j = 0; j < G; j++)
			acc += w[j] = 0.2 + unif();
		for (j = 0, g[0] = (float)lo, step = 0.0; j < G; j++) {
			step += w[j];
			g[j + 1] = (float)(lo + span * step / acc);
		}
		free(w);
		return;
	}
	default:
		for (j = 0; j <= G; j++)
			g[j] = (float)(lo + span * (double)j / (double)G);
		if (kind == GRID_NUDGED || kind == GRID_NEAR)  /* by less than h/10: still increasing */
			for (j = 1; j < G; j++)
				g[j] += (float)((j % 2 ? 1.0 : -1.0) *
				                fmin((kind == GRID_NUDGED ? 2e-5 : 9e-6) * span, 0.1 * span / (double)G));
		if (kind == GRID_REPEATED && G >= 3)
			g[1] = g[2];
		return;
	}
}

/* Rebuild KAN layer l of m with grid size G, order k, new random weights
 * and grids of the given kind, and prepare it for m's kernel. */
static void
rebuild(struct kx_model *m, struct kx_layer *l, size_t G, size_t k, enum grid_kind kind, uint64_t seed)
{
	size_t nb = G + k, i, n = l->in * l->out;

	rng_state = seed;
	free(l->spline_w);
	free(l->grid);
	l->G = l->cfg_G = G;
	l->k = l->cfg_k = k;
	l->spline_w = malloc(n * nb * sizeof(float));
	l->grid = malloc(l->in * (G + 1) * sizeof(float));
	if (!l->spline_w || !l->grid)
		abort();
	for (i = 0; i < n; i++)
		l->base_w[i] = (float)(2.0 * unif() - 1.0);
	for (i = 0; i < n * nb; i++)
		l->spline_w[i] = (float)(0.6 * unif() - 0.3);
	for (i = 0; i < l->in; i++)
		fill_grid(l->grid + i * (G + 1), G, kind, i % 2);
	if (kx_layer_prepare(m, l) != 0)
		abort();
}

/* Sample inputs for a feature with grid g: knots of the extended grid
 * (all of them, or 24 spread over a large grid) with their float32
 * neighbours and the midpoints after them, random points over the grid
 * and a margin, and far values. Returns the count (at most cap). */
static size_t
samples(const float *g, size_t G, size_t k, float *s, size_t cap)
{
	size_t n = G + 2 * k, c = 0, q, j, nq = n + 1 < 24 ? n + 1 : 24;
	float h = (g[G] - g[0]) / (float)G, t0 = g[0] - h * (float)k, tn = g[G] + h * (float)k;
	static const float far[] = { 1e30f, -1e30f, 100.0f, -100.0f, 0.0f, -0.0f };

	for (q = 0; q < nq && c + 4 <= cap; q++) {
		float t, next;
		j = nq == n + 1 ? q : q * n / (nq - 1);
		t = j < k ? g[0] - h * (float)(k - j) : j <= k + G ? g[j - k] : g[G] + h * (float)(j - k - G);
		next = j + 1 <= k ? g[0] - h * (float)(k - j - 1) : j + 1 <= k + G ? g[j + 1 - k] : t + h;
		s[c++] = t;
		s[c++] = nextafterf(t, -INFINITY);
		s[c++] = nextafterf(t, INFINITY);
		s[c++] = t + (next - t) / 2.0f;
	}
	for (q = 0; q < 16 && c < cap; q++)
		s[c++] = (float)(t0 - 0.1 * (tn - t0) + 1.2 * (tn - t0) * unif());
	for (q = 0; q < sizeof far / sizeof far[0] && c < cap; q++)
		s[c++] = far[q];
	return c;
}

/* Held to the tolerance: count and report a value out of it. */
static int
held(struct kern *kn, const char *what, size_t row, size_t col, double got, double want)
{
	double err = fabs(got - want) / (1.0 + fabs(want));

	kn->values++;
	if (err > kn->worst || isnan(err)) {
		kn->worst = isnan(err) ? INFINITY : err;
		snprintf(kn->at, sizeof kn->at, "%s, row %zu col %zu: %.9g for %.9g", what, row, col, got, want);
	}
	if (err <= 1e-4)
		return 0;
	printf("not ok: %s kernel, %s, row %zu col %zu: kanx %.9g ref %.9g\n", kn->name, what, row, col,
	       got, want);
	return 1;
}

/* One generated model (one KAN layer of G, k; or two mixing G1/k1 and
 * G2/k2 when G2 > 0) under every kernel: each held to the references, the
 * panel kernels compared byte for byte. */
static void
run_model(size_t G, size_t k, size_t G2, size_t k2, enum grid_kind kind, size_t *ill, int expect_closed)
{
	size_t widths[3] = { 2, 3, 2 }, nw = G2 ? 3 : 2, cap = 140, S = 0, n = 0, b, i, ki, bad;
	float s0[140], s1[140], *x = NULL, *y[NKERN];
	double *x64 = NULL, *r64a = NULL, *r32a = NULL, *r64 = NULL, *r32 = NULL;
	struct kx_model *m = NULL;
	char what[160];
	uint64_t seed = 0x5eed0000u + G * 131 + k * 7 + G2 * 17 + k2 + (uint64_t)kind * 1000003u;

	snprintf(what, sizeof what, "%s grid, G=%zu k=%zu%s", grid_names[kind], G, k, G2 ? " + layer 2" : "");
	if (G2)
		snprintf(what + strlen(what), sizeof what - strlen(what), " G=%zu k=%zu", G2, k2);
	for (ki = 0; ki < NKERN; ki++) {
		struct kx_err e;
		struct kx_work *w;
		clock_t t;
		y[ki] = NULL;
		if (kx_kernel_select(kerns[ki].select) != 0)
			continue;
		kx_panel_sparse = kerns[ki].sparse;
		m = kx_model_fresh(widths, nw, 1, 1, (struct kx_act){ .kind = KX_ACT_SILU }, -1.0f, 1.0f, 1, &e);
		if (!m)
			abort();
		rebuild(m, &m->layers[0], G, k, kind, seed);
		if (G2)
			rebuild(m, &m->layers[1], G2, k2, kind, seed + 1);
		if (expect_closed >= 0 && m->layers[0].kn.closed != expect_closed) {
			printf("not ok: %s: closed form %s\n", what, expect_closed ? "not taken" : "taken");
			failed++;
		}
		if (ki == 0) {  /* the inputs, once */
			rng_state = seed + 2;
			S = samples(m->layers[0].grid, G, k, s0, cap);
			(void)samples(m->layers[0].grid + G + 1, G, k, s1, cap);
			n = S;
			x = malloc(n * 2 * sizeof *x);
			x64 = malloc(n * 2 * sizeof *x64);
			r64a = malloc(n * 3 * sizeof *r64a);
			r32a = malloc(n * 3 * sizeof *r32a);
			r64 = malloc(n * 3 * sizeof *r64);
			r32 = malloc(n * 3 * sizeof *r32);
			if (!x || !x64 || !r64a || !r32a || !r64 || !r32)
				abort();
			for (b = 0; b < n; b++) {
				x[2 * b] = s0[b];
				x[2 * b + 1] = s1[(b * 7 + 3) % S];
				x64[2 * b] = x[2 * b];
				x64[2 * b + 1] = x[2 * b + 1];
			}
			if (G2) {
				float *h32 = malloc(n * 3 * sizeof *h32);
				if (!h32)
					abort();
				layer_ref(&m->layers[0], x64, x, n, r64a, r32a);
				for (i = 0; i < n * 3; i++)
					h32[i] = (float)r32a[i];
				layer_ref(&m->layers[1], r64a, h32, n, r64, r32);
				free(h32);
			} else {
				layer_ref(&m->layers[0], x64, x, n, r64, r32);
			}
		}
		y[ki] = malloc(n * m->out * sizeof(float));
		if (!y[ki])
			abort();
		if (kerns[ki].ref) {
			/* the full Cox-de Boor is O(G k) a value: skip the largest */
			if ((G + 2 * k) * k > 300000 || (G2 + 2 * k2) * k2 > 300000) {
				free(y[ki]);
				y[ki] = NULL;
				kx_model_free(m);
				continue;
			}
			t = clock();
			kx_model_forward_ref(m, x, n, y[ki]);
		} else {
			w = kx_work_new(m, n);
			if (!w)
				abort();
			t = clock();
			kx_model_forward(m, w, x, n, y[ki]);
			kx_work_free(w);
		}
		kerns[ki].cpu += (double)(clock() - t) / CLOCKS_PER_SEC;
		for (i = 0, bad = 0; i < n * m->out && bad < 3; i++)
			bad += (size_t)held(&kerns[ki], what, i / m->out, i % m->out, y[ki][i],
			                    pick_ref(r64[i], r32[i], ill));
		CHECK(bad == 0);
		kx_model_free(m);
	}
	/* the portable kernel is the AVX2 kernel's bits */
	if (y[2] && y[4])
		CHECK(memcmp(y[2], y[4], n * widths[nw - 1] * sizeof(float)) == 0);
	if (y[3] && y[5])
		CHECK(memcmp(y[3], y[5], n * widths[nw - 1] * sizeof(float)) == 0);
	for (ki = 0; ki < NKERN; ki++)
		free(y[ki]);
	free(x);
	free(x64);
	free(r64a);
	free(r32a);
	free(r64);
	free(r32);
	kx_panel_sparse = -1;
	kx_kernel_select(NULL);
}

/* Whether the closed form must be taken (1), must not (0), or either
 * (-1), by what kx_knots_init's bound says of each kind of grid. */
static int
expect_closed(enum grid_kind kind, size_t G)
{
	switch (kind) {
	case GRID_DYADIC:
		return 1;  /* exact: nothing to bound but the rounding */
	case GRID_LINSPACE:
		return G <= 10 ? 1 : G >= 100 ? 0 : -1;  /* bench16, quickstart: G = 5 */
	case GRID_NUDGED:
	case GRID_NEAR:
		return G >= 2 ? 0 : -1;
	case GRID_F32:
		return G >= 1000 ? 0 : -1;
	default:
		return G >= 3 ? 0 : -1;
	}
}

static void
test_sweep(void)
{
	static const size_t Gs[] = { 1, 2, 3, 5, 8, 10, 16, 20, 32, 64, 100, 256, 1000, 4096, 65536 };
	static const size_t ks[] = { 0, 1, 2, 3, 5 };
	static const size_t bigG[] = { 1, 5, 20, 100, 1000, 65536 };
	static const size_t bigk[] = { 4, 8, 16, 32, KX_MAX_ORDER };
	/* layers mixing G and k */
	static const size_t mixed[][4] = { { 5, 3, 100, 5 }, { 100, 5, 5, 3 }, { 256, 1, 20, 3 },
		{ 3, 1, 1000, 2 }, { 64, 8, 7, 3 }, { 1000, 3, 256, 1 }, { 7, 0, 5, 3 }, { 20, 2, 64, 0 } };
	size_t gi, ki, kind, ill = 0, models = 0;

	for (kind = 0; kind < GRID_KINDS; kind++) {
		/* the largest grids on the kinds that differ there (time) */
		int most = kind != GRID_F32 && kind != GRID_REPEATED && kind != GRID_NEAR;
		for (gi = 0; gi < sizeof Gs / sizeof Gs[0]; gi++)
			for (ki = 0; ki < sizeof ks / sizeof ks[0]; ki++)
				if (Gs[gi] < 4096 || most) {
					/* order 0 has no closed form: its bases are steps */
					run_model(Gs[gi], ks[ki], 0, 0, (enum grid_kind)kind, &ill,
					          ks[ki] ? expect_closed((enum grid_kind)kind, Gs[gi]) : 0);
					models++;
				}
		for (gi = 0; gi < sizeof bigG / sizeof bigG[0]; gi++)
			for (ki = 0; ki < sizeof bigk / sizeof bigk[0]; ki++)
				if (bigG[gi] < 4096 || most) {
					run_model(bigG[gi], bigk[ki], 0, 0, (enum grid_kind)kind, &ill, -1);
					models++;
				}
		for (gi = 0; gi < sizeof mixed / sizeof mixed[0]; gi++, models++)
			run_model(mixed[gi][0], mixed[gi][1], mixed[gi][2], mixed[gi][3], (enum grid_kind)kind,
			          &ill, -1);
	}
	printf("# sweep: %zu generated models; %zu values held to the float32 Cox-de Boor (ref32) "
	       "where Keras float32 is more than 1e-5 from float64\n", models, ill);
}

/* ---- the fixtures: the same bytes from the AVX2 and portable kernels ---- */

/* One fixture: every kernel held to Keras's numbers (NaN where Keras has
 * NaN, the same infinity where it has one), and AVX2 and portable, dense
 * and sparse, compared byte for byte. Returns 1 if the panel kernels were
 * compared. */
static int
run_fixture(const char *mp, const char *ip, const char *ep, const struct kx_limits *lim)
{
	size_t nr, nc, er, ec, i, ki, bad;
	float *x = test_read_csv(ip, &nr, &nc), *want = test_read_csv(ep, &er, &ec), *y[NKERN];
	int same = 0;

	if (!x || !want || nr != er) {
		printf("not ok: %s: inputs or expected outputs unreadable\n", mp);
		failed++;
		free(x);
		free(want);
		return 0;
	}
	for (ki = 0; ki < NKERN; ki++) {
		struct kx_model *m;
		struct kx_work *w;
		struct kx_err e;
		y[ki] = NULL;
		if (kx_kernel_select(kerns[ki].select) != 0)
			continue;
		kx_panel_sparse = kerns[ki].sparse;
		kx_err_clear(&e);
		if (!(m = kx_model_load(mp, lim, &e))) {
			printf("not ok: load %s: %s\n", mp, e.msg);
			failed++;
			continue;
		}
		CHECK(m->in == nc && m->out == ec);
		if (m->in != nc || m->out != ec) {
			kx_model_free(m);
			continue;
		}
		if (!(y[ki] = malloc(nr * ec * sizeof(float))))
			abort();
		if (kerns[ki].ref) {
			kx_model_forward_ref(m, x, nr, y[ki]);
		} else {
			if (!(w = kx_work_new(m, nr)))
				abort();
			kx_model_forward(m, w, x, nr, y[ki]);
			kx_work_free(w);
		}
		for (i = 0, bad = 0; i < nr * ec && bad < 3; i++) {
			if (isnan(want[i]) || isinf(want[i])) {
				if (!(isnan(want[i]) ? isnan(y[ki][i]) : y[ki][i] == want[i]) && bad++ < 3)
					printf("not ok: %s kernel, %s row %zu col %zu: kanx %.9g keras %.9g\n",
					       kerns[ki].name, mp, i / ec, i % ec, y[ki][i], want[i]);
				continue;
			}
			bad += (size_t)held(&kerns[ki], mp, i / ec, i % ec, y[ki][i], want[i]);
		}
		CHECK(bad == 0);
		kx_model_free(m);
	}
	if (y[2] && y[4]) {
		CHECK(memcmp(y[2], y[4], nr * ec * sizeof(float)) == 0);
		same = 1;
	}
	if (y[3] && y[5])
		CHECK(memcmp(y[3], y[5], nr * ec * sizeof(float)) == 0);
	for (ki = 0; ki < NKERN; ki++)
		free(y[ki]);
	free(x);
	free(want);
	return same;
}

/* Every fixture under tests/fixtures (each NAME.keras with NAME_input.csv
 * and NAME_expected.csv beside it), and quickstart.keras on extreme
 * inputs. */
static void
test_fixtures(const char *srcdir)
{
	static const char *const dirs[] = { "keras-3.3", "keras-3.8", "keras-3.16", "models",
		"keras-3.16-numeric" };
	struct kx_limits lim;
	const char *msg;
	char mp[2048], ip[2048], ep[2048];
	size_t d, models = 0, same = 0;

	kx_limits_init(&lim, &msg);
	for (d = 0; d < sizeof dirs / sizeof dirs[0]; d++) {
		char dir[1024];
		struct dirent *de;
		DIR *dp;

		snprintf(dir, sizeof dir, "%s/tests/fixtures/%s", srcdir, dirs[d]);
		if (!(dp = opendir(dir))) {
			printf("not ok: %s: cannot open\n", dir);
			failed++;
			continue;
		}
		while ((de = readdir(dp))) {
			size_t len = strlen(de->d_name);
			if (len < 7 || strcmp(de->d_name + len - 6, ".keras") != 0)
				continue;
			snprintf(mp, sizeof mp, "%s/%s", dir, de->d_name);
			snprintf(ip, sizeof ip, "%s/%.*s_input.csv", dir, (int)(len - 6), de->d_name);
			snprintf(ep, sizeof ep, "%s/%.*s_expected.csv", dir, (int)(len - 6), de->d_name);
			same += (size_t)run_fixture(mp, ip, ep, &lim);
			models++;
		}
		closedir(dp);
	}
	snprintf(mp, sizeof mp, "%s/tests/fixtures/models/quickstart.keras", srcdir);
	snprintf(ip, sizeof ip, "%s/tests/fixtures/keras-3.16-numeric/quickstart_extreme_input.csv", srcdir);
	snprintf(ep, sizeof ep, "%s/tests/fixtures/keras-3.16-numeric/quickstart_extreme_expected.csv", srcdir);
	same += (size_t)run_fixture(mp, ip, ep, &lim);
	models++;
	kx_panel_sparse = -1;
	kx_kernel_select(NULL);
	CHECK(models >= 60);
	printf("# fixtures: %zu models against Keras's outputs; AVX2 and portable compared on %zu\n",
	       models, same);
}

/* ---- activations ---------------------------------------------------------- */

/* Keras's formula of each activation in float64 (keras/src/backend/numpy/
 * nn.py), rounded to float32 at the end, and where Keras's float32
 * arithmetic overflows on the way (gelu's x * (erf + 1) before the / 2). */
static double
act64(enum kx_act_kind a, double x)
{
	switch (a) {
	case KX_ACT_SILU:
		return x / (1.0 + exp(-x));
	case KX_ACT_GELU:
		return (double)(float)(x * (erf(x / sqrt(2.0)) + 1.0)) / 2.0;
	case KX_ACT_RELU:
		return x != x ? x : x > 0.0 ? x : 0.0;
	case KX_ACT_TANH:
		return tanh(x);
	case KX_ACT_SIGMOID:
		return 1.0 / (1.0 + exp(-x));
	case KX_ACT_SOFTPLUS:
		return fmax(x, 0.0) + log1p(exp(-fabs(x)));
	case KX_ACT_SOFTSIGN:
		return x / (1.0 + fabs(x));
	case KX_ACT_ELU:
		return x >= 0.0 ? x : expm1(x);
	case KX_ACT_SELU:
		return 1.0507009873554805 * (x >= 0.0 ? x : 1.6732632423543772 * expm1(x));
	case KX_ACT_MISH:
		return x * tanh(fmax(x, 0.0) + log1p(exp(-fabs(x))));
	case KX_ACT_LEAKY_RELU:
		return x >= 0.0 ? x : 0.2 * x;
	case KX_ACT_RELU6:
		return x != x ? x : x < 0.0 ? 0.0 : x > 6.0 ? 6.0 : x;
	case KX_ACT_HARD_SIGMOID:
		return x != x ? x : x / 6.0 + 0.5 <= 0.0 ? 0.0 : x / 6.0 + 0.5 >= 1.0 ? 1.0 : x / 6.0 + 0.5;
	case KX_ACT_HARD_SILU:
		return x * (x / 6.0 + 0.5 <= 0.0 ? 0.0 : x / 6.0 + 0.5 >= 1.0 ? 1.0 : x / 6.0 + 0.5);
	case KX_ACT_EXPONENTIAL:
		return exp(x);
	case KX_ACT_CELU:
		return fmax(x, 0.0) + expm1(fmin(x, 0.0));
	case KX_ACT_HARD_SHRINK:
		return fabs(x) > 0.5 ? x : 0.0;
	case KX_ACT_HARD_TANH:
		return x != x ? x : x < -1.0 ? -1.0 : x > 1.0 ? 1.0 : x;
	case KX_ACT_LOG_SIGMOID:
		return -(fmax(-x, 0.0) + log1p(exp(-fabs(x))));
	case KX_ACT_SOFT_SHRINK:
		return x > 0.5 ? x - 0.5 : x < -0.5 ? x + 0.5 : 0.0;
	case KX_ACT_SPARSE_PLUS:
		return x <= -1.0 ? 0.0 : x < 1.0 ? 0.25 * (x + 1.0) * (x + 1.0) : x;
	case KX_ACT_SPARSE_SIGMOID:
		return x <= -1.0 ? 0.0 : x >= 1.0 ? 1.0 : 0.5 * (x + 1.0);
	case KX_ACT_SQUAREPLUS:
		/* Keras's x**2 + 4 and its sqrt are rounded to float32: it
		 * overflows past 1.8e19, and for x << 0 x + sqrt(...) is the
		 * difference of two rounded numbers (the rest is exact) */
		return (x + (double)(float)sqrt((double)(float)((double)(float)(x * x) + 4.0))) / 2.0;
	case KX_ACT_TANH_SHRINK:
		return x - tanh(x);
	default:
		return x;
	}
}

/* got against want: the same NaN, infinity or zero (with its sign, when
 * signs is set), else within tol * (1 + |want|) */
static int
act_agrees(float got, float want, double tol, int signs)
{
	if (isnan(want) || isnan(got))
		return isnan(want) && isnan(got);
	if (isinf(want) || isinf(got))
		return got == want;
	if (want == 0.0f && signs)
		return got == 0.0f && signbit(got) == signbit(want);
	return fabs((double)got - (double)want) <= tol * (1.0 + fabs((double)want));
}

static const enum kx_act_kind elementwise[] = { KX_ACT_SILU, KX_ACT_GELU, KX_ACT_RELU, KX_ACT_TANH,
	KX_ACT_SIGMOID, KX_ACT_SOFTPLUS, KX_ACT_SOFTSIGN, KX_ACT_ELU, KX_ACT_SELU, KX_ACT_MISH,
	KX_ACT_LEAKY_RELU, KX_ACT_RELU6, KX_ACT_HARD_SIGMOID, KX_ACT_HARD_SILU, KX_ACT_EXPONENTIAL,
	KX_ACT_CELU, KX_ACT_HARD_SHRINK, KX_ACT_HARD_TANH, KX_ACT_LOG_SIGMOID, KX_ACT_SOFT_SHRINK,
	KX_ACT_SPARSE_PLUS, KX_ACT_SPARSE_SIGMOID, KX_ACT_SQUAREPLUS, KX_ACT_TANH_SHRINK,
	KX_ACT_LINEAR };

/* The activation of kind k with its name's defaults (from act.c's table). */
static struct kx_act
act_of(enum kx_act_kind k)
{
	struct kx_act a = { .kind = KX_ACT_LINEAR };
	const char *nm;
	size_t i;

	for (i = 0; (nm = kx_act_table_name(i)); i++)
		if (kx_act_lookup(nm, &a) == 0 && a.kind == k)
			return a;
	abort();
}
#define NACT (sizeof elementwise / sizeof elementwise[0])

/* Every activation over the whole float32 range (every 2039th bit pattern
 * of each sign: denormals, the thresholds where exp overflows and
 * underflows, the ends), against Keras's formula in float64, to the
 * tolerance; in place and not (two code paths for silu). */
static void
test_act_sweep(void)
{
	size_t ai, n = 0, i, bad;
	uint32_t u;
	float *x = malloc(2200000 * sizeof *x), *y = malloc(2200000 * sizeof *y);

	if (!x || !y)
		abort();
	for (u = 0; u < 0x7f800000u; u += 2039) {
		float f;
		memcpy(&f, &u, sizeof f);
		x[n++] = f;
		x[n++] = -f;
	}
	x[n++] = FLT_MAX;
	x[n++] = -FLT_MAX;
	for (ai = 0; ai < NACT; ai++) {
		struct kx_act a = act_of(elementwise[ai]);
		int inplace;
		for (inplace = 0; inplace < 2; inplace++) {
			if (inplace) {
				memcpy(y, x, n * sizeof *y);
				kx_act_apply(a, y, y, n);
			} else {
				kx_act_apply(a, x, y, n);
			}
			for (i = 0, bad = 0; i < n; i++)
				if (!act_agrees(y[i], (float)act64(a.kind, (double)x[i]), 1e-4, 0) && bad++ < 3)
					printf("not ok: %s(%.9g) = %.9g, Keras's formula in float64 %.9g\n",
					       kx_act_name(a), x[i], y[i], (float)act64(a.kind, (double)x[i]));
			CHECK(bad == 0);
		}
	}
	printf("# activations: %zu values of each over the float32 range against float64\n", n);
	free(x);
	free(y);
}

/* Every activation against keras.activations itself (activations.csv:
 * extremes, a log sweep of the range, a fine one around 0): the same NaN,
 * infinity and signed zero, and within 2^-20 elsewhere (the float32
 * transcendental functions of NumPy and of the C library differ by an ulp
 * or two). */
static void
test_act_keras(const char *srcdir)
{
	char path[1024], line[4096], *names[32], *p;
	size_t rows = 0, cols, i, j, bad = 0;
	float *v;
	FILE *f;

	snprintf(path, sizeof path, "%s/tests/fixtures/keras-3.16-numeric/activations.csv", srcdir);
	f = fopen(path, "r");
	CHECK(f != NULL);
	if (!f || !fgets(line, sizeof line, f)) {
		if (f)
			fclose(f);
		return;
	}
	fclose(f);
	line[strcspn(line, "\r\n")] = '\0';
	for (cols = 0, p = strtok(line, ","); p && cols < 32; p = strtok(NULL, ","))
		names[cols++] = p;
	v = test_read_csv(path, &rows, &i);
	CHECK(v && i == cols && rows > 1000);
	if (!v || i != cols) {
		free(v);
		return;
	}
	for (j = 1; j < cols; j++) {
		struct kx_act a;
		CHECK(kx_act_lookup(names[j], &a) == 0);
		for (i = 0; i < rows; i++) {
			float x = v[i * cols], y;
			kx_act_apply(a, &x, &y, 1);
			if (!act_agrees(y, v[i * cols + j], 0x1p-20, 1) && bad++ < 10)
				printf("not ok: %s(%.9g) = %.9g, keras %.9g\n", names[j], x, y, v[i * cols + j]);
		}
	}
	CHECK(bad == 0);
	printf("# activations: %zu activations on %zu values against keras.activations\n", cols - 1, rows);
	free(v);
}

/* Line j (from 0) of a JSON-lines file, parsed into an activation with
 * kx_act_parse, as the loader reads a config's. 0, or -1 at the end. */
static int
oracle_spec(FILE *f, const char *version, struct kx_act *a, char *text, size_t len)
{
	char why[300];
	cJSON *v;
	int rc;

	if (!fgets(text, (int)len, f))
		return -1;
	text[strcspn(text, "\r\n")] = '\0';
	v = cJSON_Parse(text);
	rc = kx_act_parse(v, version, a, why, sizeof why);
	if (rc != 0)
		printf("not ok: %s: %s\n", text, why);
	CHECK(v != NULL && rc == 0);
	cJSON_Delete(v);
	return 0;
}

/* Every activation a config can name, against real Keras of each version
 * (tests/fixtures/activations/keras-*, written by make.py there): names,
 * serialized functions and layer objects over the extremes (denormals,
 * +-0, the breakpoints and their neighbours, overflow, +-inf, NaN), the
 * same NaN, infinity and signed zero and within 2^-20 elsewhere; the
 * row-wise ones (softmax, log_softmax, sparsemax, glu) on rows of 4,
 * within 1e-6. */
static void
test_act_oracle(const char *srcdir)
{
	static const char *const vers[] = { "3.3", "3.8", "3.16" };
	char path[1024], text[4096];
	size_t vk, rows, cols, i, j, nspec, total = 0;

	for (vk = 0; vk < sizeof vers / sizeof vers[0]; vk++) {
		struct kx_act a;
		size_t bad = 0;
		float *v;
		FILE *f;

		snprintf(path, sizeof path, "%s/tests/fixtures/activations/keras-%s/elementwise.csv", srcdir,
		         vers[vk]);
		v = test_read_csv(path, &rows, &cols);
		snprintf(path, sizeof path, "%s/tests/fixtures/activations/keras-%s/columns.jsonl", srcdir,
		         vers[vk]);
		f = fopen(path, "r");
		CHECK(v && f && rows > 1000 && cols > 30);
		if (!v || !f) {
			free(v);
			if (f)
				fclose(f);
			continue;
		}
		for (j = 1, nspec = 0; j < cols && oracle_spec(f, vers[vk], &a, text, sizeof text) == 0; j++, nspec++)
			for (i = 0; i < rows; i++) {
				float x = v[i * cols], y, want = v[i * cols + j];
				kx_act_apply(a, &x, &y, 1);
				if (!act_agrees(y, want, 0x1p-20, 1) && bad++ < 10)
					printf("not ok: keras %s: %s(%.9g) = %.9g, keras %.9g\n", vers[vk], text, x,
					       y, want);
			}
		CHECK(nspec == cols - 1);
		fclose(f);
		free(v);
		total += nspec;

		snprintf(path, sizeof path, "%s/tests/fixtures/activations/keras-%s/rows.jsonl", srcdir,
		         vers[vk]);
		f = fopen(path, "r");
		CHECK(f != NULL);
		for (j = 0; f && oracle_spec(f, vers[vk], &a, text, sizeof text) == 0; j++) {
			size_t w;
			snprintf(path, sizeof path, "%s/tests/fixtures/activations/keras-%s/rows-%zu.csv", srcdir,
			         vers[vk], j);
			v = test_read_csv(path, &rows, &cols);
			CHECK(v && kx_act_width(a, 4, &w) == 0 && cols == 4 + w && rows > 200);
			if (!v || cols != 4 + w) {
				free(v);
				continue;
			}
			for (i = 0; i < rows; i++) {
				float y[4];
				size_t o;
				kx_act_apply_rows(a, v + i * cols, y, 1, 4);
				for (o = 0; o < w; o++)
					if (!act_agrees(y[o], v[i * cols + 4 + o], 1e-6, 0) && bad++ < 10)
						printf("not ok: keras %s: %s row %zu (%.9g, %.9g, %.9g, %.9g) y%zu = "
						       "%.9g, keras %.9g\n", vers[vk], text, i, v[i * cols],
						       v[i * cols + 1], v[i * cols + 2], v[i * cols + 3], o, y[o],
						       v[i * cols + 4 + o]);
			}
			free(v);
			total++;
		}
		if (f)
			fclose(f);
		CHECK(bad == 0);
	}
	printf("# activations: %zu activations of Keras 3.3, 3.8 and 3.16 against the oracle\n", total);
}

/* kanx-formats(5)'s list of activations (between its activations-begin
 * and activations-end comments) is act.c's table of names, both ways. */
static void
test_act_doc(const char *srcdir)
{
	char path[1024], line[512], listed[64][48];
	size_t n = 0, i, j;
	int in = 0;
	const char *nm;
	FILE *f;

	snprintf(path, sizeof path, "%s/man/kanx-formats.5", srcdir);
	f = fopen(path, "r");
	CHECK(f != NULL);
	if (!f)
		return;
	while (fgets(line, sizeof line, f)) {
		if (strncmp(line, ".\\\" activations-begin", 21) == 0)
			in = 1;
		else if (strncmp(line, ".\\\" activations-end", 19) == 0)
			in = 0;
		else if (in && strncmp(line, ".It Cm ", 7) == 0 && n < 64) {
			line[7 + strcspn(line + 7, " \r\n")] = '\0';
			snprintf(listed[n++], sizeof listed[0], "%.40s", line + 7);
		}
	}
	fclose(f);
	for (i = 0; (nm = kx_act_table_name(i)); i++) {
		for (j = 0; j < n && strcmp(listed[j], nm) != 0; j++)
			;
		if (j == n)
			printf("not ok: activation '%s' is not in kanx-formats(5)\n", nm);
		CHECK(j < n);
	}
	for (j = 0; j < n; j++) {
		struct kx_act a;
		if (kx_act_lookup(listed[j], &a) != 0)
			printf("not ok: kanx-formats(5) lists '%s', which kanx does not accept\n", listed[j]);
		CHECK(kx_act_lookup(listed[j], &a) == 0);
	}
	CHECK(n == i && n >= 31);
	printf("# activations: kanx-formats(5) lists the %zu names of act.c\n", n);
}

/* kanx(1) names every class of the layer table (SpatialDropout1D, whose
 * row exists to refuse it, excepted). */
static void
test_layer_doc(const char *srcdir)
{
	char path[1024], pat[128], *text;
	size_t i, j, n = 0, len;
	FILE *f;

	snprintf(path, sizeof path, "%s/man/kanx.1", srcdir);
	f = fopen(path, "r");
	CHECK(f != NULL);
	if (!f)
		return;
	text = malloc(1 << 20);
	len = text ? fread(text, 1, (1 << 20) - 1, f) : 0;
	fclose(f);
	if (!text)
		abort();
	text[len] = '\0';
	for (i = 0; kx_layer_table[i]; i++)
		for (j = 0; kx_layer_table[i]->classes[j]; j++) {
			const char *cls = kx_layer_table[i]->classes[j];
			if (strcmp(cls, "SpatialDropout1D") == 0)
				continue;
			snprintf(pat, sizeof pat, ".Ql %s", cls);
			if (!strstr(text, pat))
				printf("not ok: kanx(1) does not name the layer class '%s'\n", cls);
			CHECK(strstr(text, pat) != NULL);
			n++;
		}
	free(text);
	CHECK(n >= 20);
	printf("# layers: kanx(1) names the %zu classes of the layer table\n", n);
}

/* ---- fused multiply-add without the instruction ---- */

static float
rand_float(void)
{
	uint32_t u = (uint32_t)rng();
	float f;

	switch (rng() % 4) {
	case 0:  /* any bits */
		memcpy(&f, &u, sizeof f);
		return f;
	case 1:  /* near 1 */
		return (float)(1.0 + ((double)(int32_t)u) * 0x1p-40);
	case 2:  /* moderate */
		return (float)((unif() - 0.5) * 8.0);
	default: /* tiny or huge */
		return ldexpf((float)(unif() - 0.5), (int)(rng() % 280) - 150);
	}
}

static void
test_fmaf(void)
{
	static const float special[] = { 0.0f, -0.0f, 1.0f, -1.0f, FLT_MAX, -FLT_MAX, FLT_MIN, 0x1p-149f,
		-0x1p-149f, INFINITY, -INFINITY, NAN, 1.0f + 0x1p-23f, 1.0f - 0x1p-24f, 0x1p64f, 0x1p-64f };
	size_t i, j, l, n = 0, bad = 0;
	const size_t ns = sizeof special / sizeof special[0];

	for (i = 0; i < ns; i++)
		for (j = 0; j < ns; j++)
			for (l = 0; l < ns; l++, n++) {
				float a = special[i], b = special[j], c = special[l];
				float want = fmaf(a, b, c), got = kx_fmaf_soft(a, b, c);
				if (memcmp(&want, &got, sizeof got) != 0 && !(isnan(want) && isnan(got)) && bad++ < 3)
					printf("not ok: kx_fmaf_soft(%a, %a, %a) = %a, fmaf %a\n", a, b, c, got, want);
			}
	for (i = 0; i < 3000000; i++, n++) {
		float a = rand_float(), b = rand_float(), c, want, got;
		/* c near -a*b half the time: the cancellations */
		c = i % 2 ? rand_float() : -(float)((double)a * (double)b) * (float)(1.0 + (unif() - 0.5) * 1e-6);
		want = fmaf(a, b, c);
		got = kx_fmaf_soft(a, b, c);
		if (memcmp(&want, &got, sizeof got) != 0 && !(isnan(want) && isnan(got)) && bad++ < 3)
			printf("not ok: kx_fmaf_soft(%a, %a, %a) = %a, fmaf %a\n", a, b, c, got, want);
	}
	CHECK(bad == 0);
	printf("# fmaf: %zu cases of kx_fmaf_soft against the C library's fmaf\n", n);
}

/* The worst error of each kernel since the last call, then reset */
static void
report(const char *over)
{
	size_t ki;

	for (ki = 0; ki < NKERN; ki++) {
		if (kerns[ki].values)
			printf("# %s: %-16s worst |kanx - ref| / (1 + |ref|) = %.3g over %zu values (%.1f s): %s\n",
			       over, kerns[ki].name, kerns[ki].worst, kerns[ki].values, kerns[ki].cpu,
			       kerns[ki].at);
		else
			printf("# %s: %-16s not on this CPU, skipped\n", over, kerns[ki].name);
		kerns[ki].worst = kerns[ki].cpu = 0.0;
		kerns[ki].values = 0;
		kerns[ki].at[0] = '\0';
	}
}

int
main(void)
{
	const char *srcdir = getenv("KANX_SRCDIR");

	if (!srcdir)
		srcdir = ".";
	test_fmaf();
	test_act_keras(srcdir);
	test_act_oracle(srcdir);
	test_act_doc(srcdir);
	test_layer_doc(srcdir);
	test_act_sweep();
	test_fixtures(srcdir);
	report("fixtures, against Keras");
	test_sweep();
	report("generated, against float64");
	printf("%d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
