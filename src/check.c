/* check.c - the loader's gate (see check.h). */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>

#include "check.h"
#include "dtype.h"
#include "layer.h"
#include "numfmt.h"

struct kx_chk {
	const struct kx_model *m;
	kx_problem_fn fn;
	void *ctx;
	size_t errors;
};

/* One problem at WHERE inside model.weights.h5 (a fresh model, built
 * from a config, has no file). */
void
kx_check_report(struct kx_chk *c, enum kx_problem_sev sev, const char *where, const char *fmt, ...)
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

/* How many of v[0, n) are NaN or infinite, the first at *first. */
static __attribute__((noinline)) size_t
count_nonfinite64(const double *v, size_t n, size_t *first)
{
	size_t i, bad = 0;

	for (i = 0; i < n; i++)
		if (!isfinite(v[i]) && bad++ == 0)
			*first = i;
	return bad;
}

/* Non-finite values in tensor VAR of layer l, of shape t->dims: in the
 * dtype the layer computes in. A float64 layer's weights as read (w64):
 * finite values beyond FLT_MAX are numbers there (their float copies,
 * infinite, are never computed with); a float32 layer's in float32 (the
 * reader refuses a float64 value it cannot hold exactly). */
static void
check_finite(struct kx_chk *c, const struct kx_layer *l, int var, const struct kx_tensor *t)
{
	const float *v = *t->dst;
	const double *v64 = kx_dtype_is64(l->dtype) && var < KX_MAX_TENSORS ? l->w64[var] : NULL;
	const char *what = t->name;
	size_t d0 = t->rank > 0 ? t->dims[0] : 1, d1 = t->rank > 1 ? t->dims[1] : 0,
	       d2 = t->rank > 2 ? t->dims[2] : 0;  /* a scalar (rank 0) is one value */
	size_t i, bad = 0, first = 0, n = d0 * (d1 ? d1 : 1) * (d2 ? d2 : 1);
	char where[300], idx[80];

	if (v == NULL)
		return;
	if (v64) {
		bad = count_nonfinite64(v64, n, &first);
	} else {
		for (i = 0; i < n; i++)
			if (!isfinite(v[i]) && bad++ == 0)
				first = i;
	}
	if (bad == 0)
		return;
	snprintf(where, sizeof where, "%s/vars/%d (%s)", l->h5_group, var, what);
	if (d2)
		snprintf(idx, sizeof idx, "[%zu, %zu, %zu]", first / (d1 * d2), first / d2 % d1, first % d2);
	else if (d1)
		snprintf(idx, sizeof idx, "[%zu, %zu]", first / d1, first % d1);
	else
		snprintf(idx, sizeof idx, "[%zu]", first);
	kx_check_report(c, KX_PROBLEM_ERROR, where, "%zu of %zu values are NaN or infinite (the first at %s: %s)",
	       bad, n, idx, isnan(v64 ? v64[first] : v[first]) ? "nan" :
	       (v64 ? v64[first] : v[first]) > 0 ? "inf" : "-inf");
}

static int
near_eq(float a, float b, float span)
{
	return fabsf(a - b) <= 1e-5f * fmaxf(span, 1e-30f) + 1e-7f * fmaxf(fabsf(a), fabsf(b));
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
	struct kx_chk c = { m, fn, ctx, 0 };
	struct kx_tensor t[KX_MAX_TENSORS];
	size_t i, j, n;

	char note[600];

	for (i = 0; i < m->n_layers; i++) {
		const struct kx_layer *l = &m->layers[i];
		if (kx_dtype_is64(l->dtype) && !l->ops->forward64)
			kx_check_report(&c, KX_PROBLEM_ERROR, l->h5_group, "layer '%s' (%s): kanx has no "
			                "double-precision path for this layer kind, and its dtype policy "
			                "'%s' computes it in float64", l->name, l->class_name,
			                kx_dtype_name(l->dtype));
		n = l->ops->tensors ? l->ops->tensors(l, t) : 0;
		for (j = 0; j < n; j++)
			check_finite(&c, l, (int)j, &t[j]);
		if (l->ops->check)
			l->ops->check(l, &c);
	}
	/* Keras computes in reduced precision, kanx in float32: a warning */
	if (kx_dtype_note(m, note, sizeof note))
		fn(ctx, KX_PROBLEM_WARNING, note);
	return c.errors;
}
