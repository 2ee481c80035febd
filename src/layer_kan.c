/* layer_kan.c - kanx>KANLinear, and each layer of a kanx>KAN:
 * out = act(x) @ base_weight + B(x) @ spline_weight, with the B-spline
 * bases B of order k over each feature's grid of G intervals extended by k
 * knots each side (bspline.h; the kernels: kernel.h). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "kernel.h"
#include "layer.h"
#include "model.h"
#include "ref64.h"
#include "numfmt.h"
#include "dtype.h"

#define SHOW_MAX 5   /* features named per problem before "and N more" */

static int
get_range(const cJSON *v, float *lo, float *hi)
{
	const cJSON *a, *c;

	if (!cJSON_IsArray(v) || cJSON_GetArraySize(v) != 2)
		return -1;
	a = cJSON_GetArrayItem(v, 0);
	c = cJSON_GetArrayItem(v, 1);
	if (!cJSON_IsNumber(a) || !cJSON_IsNumber(c) || !isfinite(a->valuedouble) ||
	    !isfinite(c->valuedouble) || !(a->valuedouble < c->valuedouble))
		return -1;
	*lo = (float)a->valuedouble;
	*hi = (float)c->valuedouble;
	return 0;
}

int
kx_kan_params(struct kx_layer *l, const cJSON *obj, const struct kx_layer *dflt,
              struct kx_parse_ctx *ctx)
{
	const cJSON *v;

	l->cfg_G = dflt->cfg_G;
	l->cfg_k = dflt->cfg_k;
	l->act = dflt->act;
	l->cfg_lo = dflt->cfg_lo;
	l->cfg_hi = dflt->cfg_hi;
	l->trainable_grid = kx_layer_bool(ctx, obj, "trainable_grid", dflt->trainable_grid);
	if (ctx->bad)
		return -1;
	if ((v = cJSON_GetObjectItemCaseSensitive(obj, "grid_size")) &&
	    kx_json_size(v, 1, ctx->lim->max_grid, &l->cfg_G) != 0) {
		kx_parse_bad(ctx, "grid_size must be an integer from 1 to %zu", ctx->lim->max_grid);
		return -1;
	}
	if ((v = cJSON_GetObjectItemCaseSensitive(obj, "spline_order")) &&
	    kx_json_size(v, 0, ctx->lim->max_order, &l->cfg_k) != 0) {
		kx_parse_bad(ctx, "spline_order must be an integer from 0 to %zu", ctx->lim->max_order);
		return -1;
	}
	if (cJSON_GetObjectItemCaseSensitive(obj, "base_activation") &&
	    kx_layer_act(ctx, obj, "base_activation", NULL, 1, &l->act) != 0)
		return -1;
	if ((v = cJSON_GetObjectItemCaseSensitive(obj, "grid_range")) &&
	    get_range(v, &l->cfg_lo, &l->cfg_hi) != 0) {
		kx_parse_bad(ctx, "grid_range must be [low, high] with low < high");
		return -1;
	}
	/* the shapes the reader holds the weights to */
	l->G = l->cfg_G;
	l->k = l->cfg_k;
	return 0;
}

static int
parse(struct kx_layer *l, const cJSON *cfg, struct kx_parse_ctx *ctx)
{
	const struct kx_limits *lim = ctx->lim;

	if (kx_json_size(cJSON_GetObjectItemCaseSensitive(cfg, "in_features"), 1, lim->max_width, &l->in) != 0 ||
	    kx_json_size(cJSON_GetObjectItemCaseSensitive(cfg, "out_features"), 1, lim->max_width, &l->out) != 0) {
		kx_parse_bad(ctx, "in_features and out_features must be integers from 1 to %zu", lim->max_width);
		return -1;
	}
	return kx_kan_params(l, cfg, ctx->kan_default, ctx);
}

static int
shape(struct kx_layer *l, const size_t *in_w, size_t n_in, char *msg, size_t size)
{
	if (n_in != 1) {
		snprintf(msg, size, "takes one input, not %zu", n_in);
		return -1;
	}
	if (l->in != in_w[0]) {
		snprintf(msg, size, "in_features is %zu but the previous layer gives %zu", l->in, in_w[0]);
		return -1;
	}
	return 0;
}

static size_t
tensors(const struct kx_layer *l, struct kx_tensor *t)
{
	struct kx_layer *w = (struct kx_layer *)l;  /* the fields the values go to */

	t[0] = (struct kx_tensor){ "base_weight", 2, { l->in, l->out, 0 }, &w->base_w, 0 };
	t[1] = (struct kx_tensor){ "spline_weight", 3, { l->in, l->out, l->cfg_G + l->cfg_k }, &w->spline_w, 0 };
	t[2] = (struct kx_tensor){ "grid", 2, { l->in, l->cfg_G + 1, 0 }, &w->grid, 0 };
	return 3;
}

/* G and k come from the grid's and the spline weights' shapes, and must
 * be the config's. */
static int
shapes(const struct kx_layer *l, const size_t dims[][KX_MAX_RANK], const struct kx_limits *lim,
       char *msg, size_t size)
{
	char want[64], got[64];
	size_t G, k;

	if (dims[0][0] != l->in || dims[0][1] != l->out) {
		kx_fmt_dims(want, sizeof want, (size_t[]){ l->in, l->out }, 2);
		kx_fmt_dims(got, sizeof got, dims[0], 2);
		snprintf(msg, size, "vars/0 (base_weight) has shape %s, expected %s", got, want);
		return -1;
	}
	if (dims[2][0] != l->in || dims[2][1] < 2 || dims[2][1] - 1 > lim->max_grid) {
		kx_fmt_dims(got, sizeof got, dims[2], 2);
		snprintf(msg, size, "vars/2 (grid) has shape %s, expected (%zu, G+1) with 1 <= G <= %zu",
		         got, l->in, lim->max_grid);
		return -1;
	}
	G = dims[2][1] - 1;
	if (dims[1][0] != l->in || dims[1][1] != l->out || dims[1][2] < G ||
	    dims[1][2] - G > lim->max_order) {
		kx_fmt_dims(got, sizeof got, dims[1], 3);
		snprintf(msg, size, "vars/1 (spline_weight) has shape %s, expected (%zu, %zu, G+k) "
		         "with G = %zu and 0 <= k <= %zu", got, l->in, l->out, G, lim->max_order);
		return -1;
	}
	k = dims[1][2] - G;
	if (G != l->cfg_G || k != l->cfg_k) {
		snprintf(msg, size, "weights give grid_size %zu and spline_order %zu, but the config "
		         "says %zu and %zu", G, k, l->cfg_G, l->cfg_k);
		return -1;
	}
	return 0;
}

/* Every knot must be finite, and stay finite once the grid is extended by
 * k knots each side (kx_grid_extends): the kernels index and divide by
 * these knots, so the reader refuses this before they are prepared (a
 * float64 layer: in double, on the grid it computes with).
 * Decreasing or zero-span grids are the gate's (check below). */
static int
loaded(const struct kx_layer *l, char *where, size_t wsize, char *msg, size_t size)
{
	size_t i, j;

	if (kx_dtype_is64(l->dtype) && l->w64[2]) {
		/* a float64 layer computes with its float64 grid (ref64.c):
		 * finite knots, finite in double once extended (knots beyond
		 * FLT_MAX are fine; their float copies are never used) */
		for (i = 0; i < l->in; i++) {
			const double *g = l->w64[2] + i * (l->G + 1);
			double h = (g[l->G] - g[0]) / (double)l->G;
			for (j = 0; j <= l->G && isfinite(g[j]); j++)
				;
			if (j <= l->G || !isfinite(h) || !isfinite(g[0] - (double)l->k * h) ||
			    !isfinite(g[l->G] + (double)l->k * h)) {
				snprintf(where, wsize, "%s/vars/2 (grid)", l->h5_group);
				snprintf(msg, size, "row %zu has a knot that is not finite, or overflows "
				         "float64 when extended by %zu knots", i, l->k);
				return -1;
			}
		}
		return 0;
	}
	for (i = 0; i < l->in; i++)
		if (!kx_grid_extends(l->grid + i * (l->G + 1), l->G, l->k, 1)) {
			snprintf(where, wsize, "%s/vars/2 (grid)", l->h5_group);
			snprintf(msg, size, "row %zu has a knot that is not finite, or overflows float32 "
			         "when extended by %zu knots", i, l->k);
			return -1;
		}
	return 0;
}

static int
prepare(struct kx_layer *l)
{
	return kx_knots_init(&l->kn, l->grid, l->in, l->G, l->k);
}

static void
free_kan(struct kx_layer *l)
{
	kx_knots_free(&l->kn);
}

static int
kop(const struct kx_layer *l, struct kx_kop *op)
{
	*op = (struct kx_kop){ .fast = KX_FAST_KAN, .in = l->in, .out = l->out, .act = l->act,
	                       .G = l->G, .k = l->k, .base_w = l->base_w, .spline_w = l->spline_w,
	                       .kn = &l->kn };
	return 0;
}

static const char *
fmtf(float f, char *buf)
{
	kx_format_float(f, buf);
	return buf;
}

/* Knot i of the grid as the layer computes with it: a float64 layer's
 * as read (w64), another's in float32. */
static double
knot(const struct kx_layer *l, size_t i)
{
	return kx_dtype_is64(l->dtype) && l->w64[2] ? l->w64[2][i] : (double)l->grid[i];
}

/* A knot as text, in the layer's compute dtype. */
static const char *
fmtk(const struct kx_layer *l, double v, char *buf)
{
	if (kx_dtype_is64(l->dtype))
		kx_format_double(v, buf);
	else
		kx_format_float((float)v, buf);
	return buf;
}

/* Each feature's knots must be non-decreasing with a non-zero span. */
static void
check_grid(struct kx_chk *c, const struct kx_layer *l)
{
	size_t G = l->G, i, j, ndec = 0, nzero = 0, g;
	char where[300], a[KX_DOUBLE_BUF], b[KX_DOUBLE_BUF];

	snprintf(where, sizeof where, "%s/vars/2 (grid)", l->h5_group);
	for (i = 0; i < l->in; i++) {
		int finite = 1;
		g = i * (G + 1);
		for (j = 0; j <= G; j++)
			if (!isfinite(knot(l, g + j)))
				finite = 0;
		if (!finite)
			continue;  /* reported as a weight that is not finite */
		for (j = 0; j < G; j++)
			if (knot(l, g + j + 1) < knot(l, g + j))
				break;
		if (j < G) {
			if (ndec++ < SHOW_MAX)
				kx_check_report(c, KX_PROBLEM_ERROR, where,
				                "feature %zu: knots decrease (grid[%zu][%zu] = %s > grid[%zu][%zu] = %s)",
				                i, i, j, fmtk(l, knot(l, g + j), a), i, j + 1,
				                fmtk(l, knot(l, g + j + 1), b));
			continue;
		}
		if (!(knot(l, g + G) > knot(l, g)) && nzero++ < SHOW_MAX)
			kx_check_report(c, KX_PROBLEM_ERROR, where, "feature %zu: the grid has zero span "
			                "(every knot is %s)", i, fmtk(l, knot(l, g), a));
	}
	if (ndec > SHOW_MAX)
		kx_check_report(c, KX_PROBLEM_ERROR, where, "knots decrease in %zu more features", ndec - SHOW_MAX);
	if (nzero > SHOW_MAX)
		kx_check_report(c, KX_PROBLEM_ERROR, where, "zero span in %zu more features", nzero - SHOW_MAX);
}

/* Finite knots whose extension overflows (the reader refuses these in a
 * checkpoint; a fresh model from a config can have them). */
static void
check_extension(struct kx_chk *c, const struct kx_layer *l)
{
	size_t i, j;
	char where[300];

	for (i = 0; i < l->in; i++) {
		const float *g = l->grid + i * (l->G + 1);
		if (kx_dtype_is64(l->dtype) && l->w64[2]) {
			/* in double: the extension k knots h apart past each end */
			const double *d = l->w64[2] + i * (l->G + 1);
			double h = (d[l->G] - d[0]) / (double)l->G;
			if (isfinite(d[0]) && isfinite(d[l->G]) &&
			    (!isfinite(h) || !isfinite(d[0] - (double)l->k * h) ||
			     !isfinite(d[l->G] + (double)l->k * h))) {
				snprintf(where, sizeof where, "%s/vars/2 (grid)", l->h5_group);
				kx_check_report(c, KX_PROBLEM_ERROR, where, "feature %zu: the grid overflows "
				                "float64 when extended by %zu knots", i, l->k);
				return;
			}
			continue;
		}
		for (j = 0; j <= l->G && isfinite(g[j]); j++)
			;
		if (j > l->G && !kx_grid_extends(g, l->G, l->k, 0)) {
			snprintf(where, sizeof where, "%s/vars/2 (grid)", l->h5_group);
			kx_check_report(c, KX_PROBLEM_ERROR, where, "feature %zu: the grid overflows float32 "
			                "when extended by %zu knots", i, l->k);
			return;
		}
	}
}

static void
check(const struct kx_layer *l, struct kx_chk *c)
{
	char a[KX_FLOAT_BUF], b[KX_FLOAT_BUF], d[KX_FLOAT_BUF], e[KX_FLOAT_BUF];
	size_t off, first = 0;

	check_grid(c, l);
	check_extension(c, l);
	/* The weights reader refuses these today; kept so that a relaxed
	 * reader stays checked. */
	if (l->G != l->cfg_G || l->k != l->cfg_k)
		kx_check_report(c, KX_PROBLEM_ERROR, l->h5_group, "weights give grid_size %zu and "
		                "spline_order %zu, but the config says %zu and %zu", l->G, l->k, l->cfg_G,
		                l->cfg_k);
	/* The grid against the layer's own configured grid_range: a grid
	 * updated from samples (non-uniform) legitimately moves its ends. */
	off = kx_grid_ends_off(l, l->cfg_lo, l->cfg_hi, &first);
	if (off > 0) {
		const float *g = l->grid + first * (l->G + 1);
		kx_check_report(c, KX_PROBLEM_WARNING, l->h5_group,
		                "layer '%s': %zu of %zu features have grid ends other than the configured "
		                "grid_range [%s, %s] (feature %zu: [%s, %s])%s", l->name, off, l->in,
		                fmtf(l->cfg_lo, a), fmtf(l->cfg_hi, b), first, fmtf(g[0], d), fmtf(g[l->G], e),
		                l->kn.uniform ? "" : "; the grid is non-uniform, as after update_grid_from_samples");
	}
}

static void
forward(const struct kx_layer *l, const float *const *x, size_t n, float *y)
{
	struct kx_kop op;

	kop(l, &op);
	kx_ref_forward(&op, x[0], n, y);
}

static void
forward64(const struct kx_layer *l, const double *const *x, size_t n, double *y)
{
	kx_kan_forward64(l, x[0], n, y);
}

/* As Keras counts trainable weights: base and spline weights, and the
 * grid when the layer was built with trainable_grid=True. */
static size_t
params(const struct kx_layer *l)
{
	return l->in * l->out * (l->G + l->k + 1) + (l->trainable_grid ? l->in * (l->G + 1) : 0);
}

/* The "uniform" column: "yes" where the kernels evaluate the grid as the
 * uniform lattice it is (within kx_knots_init's bound), "near" where it
 * is evenly spaced to 1e-5 of its span but off the lattice by more than
 * that bound allows, so the knots are evaluated as they are, "no"
 * otherwise. */
static void
describe(const struct kx_layer *l, struct kx_layer_desc *d)
{
	d->grid_size = l->G;
	d->spline_order = l->k;
	kx_layer_desc_act(d, l->act);
	d->has_grid = 1;
	d->grid_lo = l->kn.lo;
	d->grid_hi = l->kn.hi;
	d->uniform = l->kn.closed ? "yes" : l->kn.uniform ? "near" : "no";
	d->closed = l->kn.closed;
	d->knot_dev = l->kn.knot_dev;
}

const struct kx_layer *
kx_layer_as_kan(const struct kx_layer *l)
{
	return l && l->ops == &kx_layer_kan ? l : NULL;
}

float
kx_kan_edge(const struct kx_layer *l, size_t i, size_t o, float x)
{
	size_t nb = l->G + l->k, j;
	float *bases, *tmp, a, s;

	bases = kx_mallocarray(2 * nb + l->k + 1, sizeof *bases);
	if (!bases)
		return NAN;
	tmp = bases + nb;
	kx_bspline_ref(&l->kn, i, x, bases, tmp);
	kx_act_apply(l->act, &x, &a, 1);
	s = a * l->base_w[i * l->out + o];
	for (j = 0; j < nb; j++)
		s += bases[j] * l->spline_w[(i * l->out + o) * nb + j];
	free(bases);
	return s;
}

static const char *const classes[] = { "kanx>KANLinear", NULL };

const struct kx_layer_ops kx_layer_kan = {
	.kind = "KANLinear",
	.classes = classes,
	.custom = 1,
	.parse = parse,
	.shape = shape,
	.tensors = tensors,
	.shapes = shapes,
	.loaded = loaded,
	.prepare = prepare,
	.check = check,
	.forward = forward,
	.kop = kop,
	.free = free_kan,
	.forward64 = forward64,
	.params = params,
	.describe = describe,
};
