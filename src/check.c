/* check.c - the loader's gate (see check.h). */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>

#include "check.h"
#include "numfmt.h"

#define SHOW_MAX 5   /* features named per problem before "and N more" */

struct chk {
	const struct kx_model *m;
	kx_problem_fn fn;
	void *ctx;
	size_t errors;
};

static void report(struct chk *c, enum kx_problem_sev sev, const char *where, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* One problem at WHERE inside model.weights.h5 (a fresh model, built
 * from a config, has no file). */
static void
report(struct chk *c, enum kx_problem_sev sev, const char *where, const char *fmt, ...)
{
	char body[1024], msg[1600];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(body, sizeof body, fmt, ap);
	va_end(ap);
	snprintf(msg, sizeof msg, "%s%s: %s: %s", c->m->path, c->m->file_size ? ":model.weights.h5" : "",
	         where, body);
	if (sev == KX_PROBLEM_ERROR)
		c->errors++;
	c->fn(c->ctx, sev, msg);
}

static const char *
fmtf(float f, char *buf)
{
	kx_format_float(f, buf);
	return buf;
}

/* Non-finite values in one tensor of d0 x d1 x d2 (0 = no such axis). */
static void
check_finite(struct chk *c, const struct kx_layer *l, int var, const char *what,
             const float *v, size_t d0, size_t d1, size_t d2)
{
	size_t i, bad = 0, first = 0, n = d0 * (d1 ? d1 : 1) * (d2 ? d2 : 1);
	char where[300], idx[80];

	if (v == NULL)
		return;
	for (i = 0; i < n; i++)
		if (!isfinite(v[i]) && bad++ == 0)
			first = i;
	if (bad == 0)
		return;
	snprintf(where, sizeof where, "%s/vars/%d (%s)", l->h5_group, var, what);
	if (d2)
		snprintf(idx, sizeof idx, "[%zu, %zu, %zu]", first / (d1 * d2), first / d2 % d1, first % d2);
	else if (d1)
		snprintf(idx, sizeof idx, "[%zu, %zu]", first / d1, first % d1);
	else
		snprintf(idx, sizeof idx, "[%zu]", first);
	report(c, KX_PROBLEM_ERROR, where, "%zu of %zu values are NaN or infinite (the first at %s: %s)",
	       bad, n, idx, isnan(v[first]) ? "nan" : v[first] > 0 ? "inf" : "-inf");
}

/* Each feature's knots must be non-decreasing with a non-zero span. */
static void
check_grid(struct chk *c, const struct kx_layer *l)
{
	size_t G = l->G, i, j, ndec = 0, nzero = 0;
	char where[300], a[KX_FLOAT_BUF], b[KX_FLOAT_BUF];

	snprintf(where, sizeof where, "%s/vars/2 (grid)", l->h5_group);
	for (i = 0; i < l->in; i++) {
		const float *g = l->grid + i * (G + 1);
		int finite = 1;
		for (j = 0; j <= G; j++)
			if (!isfinite(g[j]))
				finite = 0;
		if (!finite)
			continue;  /* reported by check_finite */
		for (j = 0; j < G; j++)
			if (g[j + 1] < g[j])
				break;
		if (j < G) {
			if (ndec++ < SHOW_MAX)
				report(c, KX_PROBLEM_ERROR, where,
				       "feature %zu: knots decrease (grid[%zu][%zu] = %s > grid[%zu][%zu] = %s)",
				       i, i, j, fmtf(g[j], a), i, j + 1, fmtf(g[j + 1], b));
			continue;
		}
		if (!(g[G] > g[0]) && nzero++ < SHOW_MAX)
			report(c, KX_PROBLEM_ERROR, where, "feature %zu: the grid has zero span (every knot is %s)",
			       i, fmtf(g[0], a));
	}
	if (ndec > SHOW_MAX)
		report(c, KX_PROBLEM_ERROR, where, "knots decrease in %zu more features", ndec - SHOW_MAX);
	if (nzero > SHOW_MAX)
		report(c, KX_PROBLEM_ERROR, where, "zero span in %zu more features", nzero - SHOW_MAX);
}

static int
near_eq(float a, float b, float span)
{
	return fabsf(a - b) <= 1e-5f * fmaxf(span, 1e-30f) + 1e-7f * fmaxf(fabsf(a), fabsf(b));
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

/* Finite knots whose extension overflows (the reader refuses these in a
 * checkpoint; a fresh model from a config can have them). */
static void
check_extension(struct chk *c, const struct kx_layer *l)
{
	size_t i, j;
	char where[300];

	for (i = 0; i < l->in; i++) {
		const float *g = l->grid + i * (l->G + 1);
		for (j = 0; j <= l->G && isfinite(g[j]); j++)
			;
		if (j > l->G && !kx_grid_extends(g, l->G, l->k, 0)) {
			snprintf(where, sizeof where, "%s/vars/2 (grid)", l->h5_group);
			report(c, KX_PROBLEM_ERROR, where, "feature %zu: the grid overflows float32 when "
			       "extended by %zu knots", i, l->k);
			return;
		}
	}
}

size_t
kx_grid_ends_off(const struct kx_layer *l, float lo, float hi, size_t *first)
{
	size_t i, n = 0;

	for (i = 0; i < l->in; i++) {
		const float *g = l->grid + i * (l->G + 1);
		if (!isfinite(g[0]) || !isfinite(g[l->G]) || !(g[l->G] > g[0]))
			continue;
		if ((!near_eq(g[0], lo, hi - lo) || !near_eq(g[l->G], hi, hi - lo)) && n++ == 0)
			*first = i;
	}
	return n;
}

size_t
kx_model_check(const struct kx_model *m, kx_problem_fn fn, void *ctx)
{
	struct chk c = { m, fn, ctx, 0 };
	size_t i;

	for (i = 0; i < m->n_layers; i++) {
		const struct kx_layer *l = &m->layers[i];
		char a[KX_FLOAT_BUF], b[KX_FLOAT_BUF], d[KX_FLOAT_BUF], e[KX_FLOAT_BUF];
		size_t off, first = 0;

		if (l->kind == KX_LAYER_DENSE) {
			check_finite(&c, l, 0, "kernel", l->kernel, l->in, l->out, 0);
			if (l->use_bias)
				check_finite(&c, l, 1, "bias", l->bias, l->out, 0, 0);
			continue;
		}
		if (l->kind != KX_LAYER_KAN)
			continue;
		check_finite(&c, l, 0, "base_weight", l->base_w, l->in, l->out, 0);
		check_finite(&c, l, 1, "spline_weight", l->spline_w, l->in, l->out, l->G + l->k);
		check_finite(&c, l, 2, "grid", l->grid, l->in, l->G + 1, 0);
		check_grid(&c, l);
		check_extension(&c, l);
		/* The weights reader refuses these today; kept so that a relaxed
		 * reader stays checked. */
		if (l->G != l->cfg_G || l->k != l->cfg_k)
			report(&c, KX_PROBLEM_ERROR, l->h5_group, "weights give grid_size %zu and spline_order "
			       "%zu, but the config says %zu and %zu", l->G, l->k, l->cfg_G, l->cfg_k);
		/* The grid against the layer's own configured grid_range: a grid
		 * updated from samples (non-uniform) legitimately moves its ends. */
		off = kx_grid_ends_off(l, l->cfg_lo, l->cfg_hi, &first);
		if (off > 0) {
			const float *g = l->grid + first * (l->G + 1);
			report(&c, KX_PROBLEM_WARNING, l->h5_group,
			       "layer '%s': %zu of %zu features have grid ends other than the configured "
			       "grid_range [%s, %s] (feature %zu: [%s, %s])%s", l->name, off, l->in,
			       fmtf(l->cfg_lo, a), fmtf(l->cfg_hi, b), first, fmtf(g[0], d), fmtf(g[l->G], e),
			       l->uniform ? "" : "; the grid is non-uniform, as after update_grid_from_samples");
		}
	}
	return c.errors;
}
