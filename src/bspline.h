/* bspline.h - the B-spline math of the KANLinear layer, as Keras computes
 * it in float32, shared by every kernel (kernel_ref.c, kernel_blis.c, the
 * panel kernels) and by inspect's edge functions.
 *
 * The grid of each input feature (G+1 knots) is extended by k knots on
 * each side with spacing h = (grid[G] - grid[0]) / G; the degree-0 bases
 * are 1 where t_j <= x < t_{j+1}; Cox-de Boor raises the degree with a
 * zero denominator replaced by 1. Depends on nothing but libm. */
#ifndef KX_BSPLINE_H
#define KX_BSPLINE_H

#include <stddef.h>

/* What the kernels derive from a layer's grid (kx_knots_init). */
struct kx_knots {
	size_t in, G, k;       /* features, grid intervals, spline order */
	float *ext;            /* (in, G+2k+1): each feature's grid extended by k knots */
	int uniform;           /* 1 if every feature's grid is evenly spaced within 1e-5 of
	                        * its span (what validate judges the grid ends by) */
	int closed;            /* 1 if the closed-form bases of a uniform grid are provably
	                        * close enough to Cox-de Boor on the actual knots; only
	                        * then do the kernels use them */
	double knot_dev;       /* largest distance of an extended knot from the lattice
	                        * t0 + j*h, in units of h, over the features */
	float *t0, *inv_h;     /* (in): first extended knot and 1/h per feature */
	double *inv_hd;        /* (in): 1/h in double, for the closed form's cell index */
	float *dmin, *tmax;    /* (in): the smallest denominator of Keras's recursion (the
	                        * smallest non-zero knot spacing, or 1 if a spacing is 0)
	                        * and the largest |knot|, per feature */
	float x_safe;          /* |x| up to this: no ratio of Keras's float32 recursion
	                        * overflows, on any feature (kx_kan_extreme) */
	float lo, hi;          /* min of grid[:,0], max of grid[:,G] */
};

/* Derive kn from grid (in, G+1), row-major, freeing what an earlier call
 * derived. Returns -1 on allocation failure. */
int kx_knots_init(struct kx_knots *kn, const float *grid, size_t in, size_t G, size_t k);

/* Free what kx_knots_init allocated; kn may be all zeros. */
void kx_knots_free(struct kx_knots *kn);

/* Does the grid row g[0..G] stay finite once extended by k knots each
 * side, as kx_knots_init extends it in float (and, with all, are its own
 * knots finite too)? */
int kx_grid_extends(const float *g, size_t G, size_t k, int all);

/* B-spline bases of degree k for x on feature i, by the full Cox-de Boor
 * recursion (the reference). out has G+k entries; tmp at least G+2k. */
void kx_bspline_ref(const struct kx_knots *kn, size_t i, float x, float *out, float *tmp);

/* Local de Boor on the extended knots t of one feature: the k+1 bases
 * that can be non-zero at x, bases mu-k .. mu, into L[0..k] (those off
 * either end of the basis range are 0). Returns mu, or -1 when x is
 * outside the extended grid. */
long kx_bspline_span(const float *t, size_t G, size_t k, float x, float *L, int uniform,
                     float inv_h);

/* The same, written into a[0..G+k) (which must be zero). */
void kx_bspline_local(const float *t, size_t G, size_t k, float x, float *a, int uniform,
                      float inv_h);

/* Any order k, uniform grid, u in [0, 1) of the cell: the k+1 bases by
 * de Boor with the constant denominators d*h, into L[0..k]. */
void kx_bspline_uniform(float u, size_t k, float *L);

/* Where Keras's float32 recursion overflows at x (|x| > kn->x_safe), add
 * to the outputs y[o * stride], o < out, of the row what it makes of it:
 * NaN (or an infinity) where Keras's outputs are. spline_w is the layer's
 * (in, out, G+k). A no-op for |x| <= kn->x_safe and for NaN. */
void kx_kan_extreme(const struct kx_knots *kn, const float *spline_w, size_t out, size_t i,
                    float x, float *y, size_t stride);

/* The cell of x in the closed form of a uniform grid (kn->closed): with
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

#endif
