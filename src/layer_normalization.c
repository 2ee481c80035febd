/* layer_normalization.c - Normalization (preprocessing): y = (x - mean) /
 * max(sqrt(variance), 1e-7), or with invert y = mean + x * max(sqrt(variance),
 * 1e-7), in float32. mean and variance are per feature (axis -1 or 1) or
 * one for all (axis None, saved as []); given in the config (numbers or
 * lists; then the layer has no variables) or adapted (variables mean,
 * variance and an integer count, which inference does not use). */
#include <float.h>
#include <tgmath.h>
#include <stdio.h>
#include <stdlib.h>

#include "layer.h"
#include "model.h"

struct normalization {
	int per_feature;  /* axis -1 or 1; else None: one mean and variance */
	int invert;
	int adapted;      /* mean and variance are variables */
	size_t n_given;   /* given: how many values (1: broadcast to every feature) */
	float *mean, *var, *count;
	double *mean64, *var64;  /* given: the config's values as written (float64 policy) */
};

/* cfg[key]: a number or a list of numbers (kx_layer_numbers: an array of
 * shape (1, n) or as Keras serializes one too), into a new array, and as
 * written into *a64 (Keras casts them to the compute dtype) */
static float *
given(struct kx_parse_ctx *ctx, const cJSON *v, const char *key, size_t *n, double **a64)
{
	const cJSON *e;
	float *a;
	size_t i = 0;

	if (!(v = kx_layer_numbers(v, n)) || *n > ctx->lim->max_width ||
	    !(a = kx_mallocarray(*n, sizeof *a)) || !(*a64 = kx_mallocarray(*n, sizeof **a64))) {
		kx_parse_bad(ctx, "%s must be a number or a list of 1 to %zu numbers", key,
		             ctx->lim->max_width);
		return NULL;
	}
	for (e = cJSON_IsArray(v) ? v->child : v; e; e = cJSON_IsArray(v) ? e->next : NULL) {
		if (!isfinite(e->valuedouble) || fabs(e->valuedouble) > FLT_MAX) {
			kx_parse_bad(ctx, "%s must hold finite numbers", key);
			free(a);
			return NULL;
		}
		(*a64)[i] = e->valuedouble;
		a[i++] = (float)e->valuedouble;
	}
	return a;
}

static int
parse(struct kx_layer *l, const cJSON *cfg, struct kx_parse_ctx *ctx)
{
	const cJSON *axis = cJSON_GetObjectItemCaseSensitive(cfg, "axis");
	const cJSON *m = cJSON_GetObjectItemCaseSensitive(cfg, "mean");
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(cfg, "variance");
	struct normalization *p;
	size_t nv;

	if (!(p = kx_layer_priv(l, sizeof *p, ctx)))
		return -1;
	p->invert = kx_layer_bool(ctx, cfg, "invert", 0);
	if (cJSON_IsNull(axis) || (cJSON_IsArray(axis) && cJSON_GetArraySize(axis) == 0))
		p->per_feature = 0;
	else if (kx_layer_last_axis(ctx, cfg, "axis") == 0)
		p->per_feature = 1;
	p->adapted = !m || cJSON_IsNull(m);
	if (p->adapted != (!v || cJSON_IsNull(v))) {
		kx_parse_bad(ctx, "mean and variance must be given together");
		return -1;
	}
	if (!p->adapted) {
		if (!(p->mean = given(ctx, m, "mean", &p->n_given, &p->mean64)) ||
		    !(p->var = given(ctx, v, "variance", &nv, &p->var64)))
			return -1;
		if (nv != p->n_given) {
			kx_parse_bad(ctx, "mean has %zu values and variance %zu", p->n_given, nv);
			return -1;
		}
		if (!p->per_feature && p->n_given != 1) {
			kx_parse_bad(ctx, "axis None takes one mean and variance, not %zu", p->n_given);
			return -1;
		}
	}
	return ctx->bad ? -1 : 0;
}

static int
shape(struct kx_layer *l, const size_t *in_w, size_t n_in, char *msg, size_t size)
{
	const struct normalization *p = l->priv;

	if (kx_layer_shape_same(l, in_w, n_in, msg, size) != 0)
		return -1;
	if (!p->adapted && p->n_given != 1 && p->n_given != l->in) {
		snprintf(msg, size, "%zu means and variances for %zu features", p->n_given, l->in);
		return -1;
	}
	return 0;
}

static size_t
tensors(const struct kx_layer *l, struct kx_tensor *t)
{
	struct normalization *p = l->priv;
	int r = p->per_feature;

	if (!p->adapted)
		return 0;
	t[0] = (struct kx_tensor){ "mean", r, { l->in, 0, 0 }, &p->mean, 0 };
	t[1] = (struct kx_tensor){ "variance", r, { l->in, 0, 0 }, &p->var, 0 };
	t[2] = (struct kx_tensor){ "count", 0, { 0, 0, 0 }, &p->count, 1 };
	return 3;
}

/* The layer in T: float32 (forward) and float64 (forward64: mean and
 * variance as read, or as the config gives them); <tgmath.h> picks sqrtf
 * or sqrt. */
#define NORMALIZATION(T, NAME, MEAN, VAR)                                                         \
static void                                                                                       \
NAME(const struct kx_layer *l, const T *const *x, size_t n, T *y)                                 \
{                                                                                                 \
	const struct normalization *p = l->priv;                                                  \
	const T *mv = MEAN, *vv = VAR;                                                            \
	int one = !p->per_feature || p->n_given == 1;                                             \
	size_t r, j, w = l->in;                                                                   \
                                                                                                  \
	for (j = 0; j < w; j++) {                                                                 \
		T mean = mv[one ? 0 : j], sd = sqrt(vv[one ? 0 : j]);                             \
		T d = sd > (T)1e-7 || sd != sd ? sd : (T)1e-7;  /* numpy's maximum: NaN stays */  \
		for (r = 0; r < n; r++) {                                                         \
			T v = x[0][r * w + j];                                                    \
			y[r * w + j] = p->invert ? mean + v * d : (v - mean) / d;                 \
		}                                                                                 \
	}                                                                                         \
}

NORMALIZATION(float, forward, p->mean, p->var)
NORMALIZATION(double, forward64, p->adapted ? l->w64[0] : p->mean64, p->adapted ? l->w64[1] : p->var64)

static void
describe(const struct kx_layer *l, struct kx_layer_desc *d)
{
	const struct normalization *p = l->priv;

	snprintf(d->summary, sizeof d->summary, "%s %s%s", p->adapted ? "adapted" : "given",
	         p->per_feature ? "per feature" : "one mean and variance", p->invert ? ", inverted" : "");
}

static void
free_priv(struct kx_layer *l)
{
	struct normalization *p = l->priv;

	if (p) {
		free(p->mean);
		free(p->var);
		free(p->count);
		free(p->mean64);
		free(p->var64);
	}
	free(p);
	l->priv = NULL;
}

static const char *const classes[] = { "Normalization", NULL };

const struct kx_layer_ops kx_layer_normalization = {
	.kind = "Normalization",
	.classes = classes,
	.parse = parse,
	.shape = shape,
	.tensors = tensors,
	.forward = forward,
	.forward64 = forward64,
	.describe = describe,
	.free = free_priv,
};
