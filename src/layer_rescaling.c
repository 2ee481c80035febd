/* layer_rescaling.c - Rescaling(scale, offset): y = x * scale + offset, in
 * float32 as Keras computes it (the product rounded, then the sum), scale
 * and offset each a number or one value per feature. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "layer.h"
#include "model.h"
#include "numfmt.h"

struct rescaling {
	float *scale, *offset;   /* n_scale and n_offset values: 1, or one per feature */
	double *scale64, *offset64;  /* the same as written (the float64 policy) */
	size_t n_scale, n_offset;
};

/* scale or offset (kx_layer_numbers: a number, one per feature, or an
 * array as Keras serializes one), into new arrays of float32 (Keras casts
 * to the layer's dtype) and as written. -1 if it is none of these, or has
 * more than max values. */
static int
values(const cJSON *v, size_t max, float **out, double **out64, size_t *n)
{
	const cJSON *c;
	size_t i = 0;

	if (!(v = kx_layer_numbers(v, n)) || *n > max)
		return -1;
	if (!(*out = kx_mallocarray(*n, sizeof **out)) || !(*out64 = kx_mallocarray(*n, sizeof **out64)))
		return -1;
	if (cJSON_IsNumber(v)) {
		**out64 = v->valuedouble;
		**out = (float)v->valuedouble;
		return 0;
	}
	cJSON_ArrayForEach(c, v) {
		(*out64)[i] = c->valuedouble;
		(*out)[i++] = (float)c->valuedouble;
	}
	return 0;
}

static int
parse(struct kx_layer *l, const cJSON *cfg, struct kx_parse_ctx *ctx)
{
	struct rescaling *r = calloc(1, sizeof *r);
	const cJSON *s = cJSON_GetObjectItemCaseSensitive(cfg, "scale");
	const cJSON *o = cJSON_GetObjectItemCaseSensitive(cfg, "offset");
	static const cJSON zero = { .type = cJSON_Number };

	if (!r) {
		kx_parse_bad(ctx, "out of memory");
		return -1;
	}
	l->priv = r;
	l->act = (struct kx_act){ .kind = KX_ACT_LINEAR };
	if (!s || values(s, ctx->lim->max_width, &r->scale, &r->scale64, &r->n_scale) != 0)
		kx_parse_bad(ctx, "scale must be a number or a list of numbers, one per feature");
	if (values(o && !cJSON_IsNull(o) ? o : &zero, ctx->lim->max_width, &r->offset, &r->offset64, &r->n_offset) != 0)
		kx_parse_bad(ctx, "offset must be a number or a list of numbers, one per feature");
	return ctx->bad ? -1 : 0;
}

static int
shape(struct kx_layer *l, const size_t *in_w, size_t n_in, char *msg, size_t size)
{
	const struct rescaling *r = l->priv;

	if (kx_layer_shape_same(l, in_w, n_in, msg, size) != 0)
		return -1;
	if ((r->n_scale != 1 && r->n_scale != l->in) || (r->n_offset != 1 && r->n_offset != l->in)) {
		snprintf(msg, size, "scale has %zu values and offset %zu, but the input has %zu features "
		         "(one value, or one per feature)", r->n_scale, r->n_offset, l->in);
		return -1;
	}
	return 0;
}

/* The layer in T: float32 (forward) and float64 (forward64, scale and
 * offset as the config writes them); the product rounded, then the sum. */
#define RESCALING(T, NAME, SCALE, OFFSET)                                                    \
static void                                                                                  \
NAME(const struct kx_layer *l, const T *const *x, size_t n, T *y)                            \
{                                                                                            \
	const struct rescaling *r = l->priv;                                                 \
	const T *scale = SCALE, *offset = OFFSET;                                            \
	size_t w = l->in, b, i;                                                              \
	size_t ds = r->n_scale > 1, dof = r->n_offset > 1;  /* per feature, or one value */  \
                                                                                             \
	for (b = 0; b < n; b++) {                                                            \
		const T *xr = x[0] + b * w;                                                  \
		T *yr = y + b * w;                                                           \
		for (i = 0; i < w; i++) {                                                    \
			T p = xr[i] * scale[i * ds];                                         \
			yr[i] = p + offset[i * dof];                                         \
		}                                                                            \
	}                                                                                    \
}

RESCALING(float, forward, r->scale, r->offset)
RESCALING(double, forward64, r->scale64, r->offset64)

/* "0.00784313772" or "[0.00784313772, 0.0199999996, -0.5]" (float32, shortest) */
static void
list(char *buf, size_t size, const float *v, size_t n)
{
	char f[KX_FLOAT_BUF];
	size_t o = 0, i;

	if (n == 1) {
		kx_format_float(v[0], f);
		snprintf(buf, size, "%s", f);
		return;
	}
	o += (size_t)snprintf(buf, size, "[");
	for (i = 0; i < n && o < size; i++) {
		kx_format_float(v[i], f);
		o += (size_t)snprintf(buf + o, size - o, "%s%s", i ? ", " : "", f);
	}
	if (o < size)
		snprintf(buf + o, size - o, "]");
}

static void
describe(const struct kx_layer *l, struct kx_layer_desc *d)
{
	const struct rescaling *r = l->priv;
	char s[64], o[64];

	list(s, sizeof s, r->scale, r->n_scale);
	list(o, sizeof o, r->offset, r->n_offset);
	if (strlen(s) >= sizeof s - 1)
		snprintf(s, sizeof s, "(%zu values)", r->n_scale);
	if (strlen(o) >= sizeof o - 1)
		snprintf(o, sizeof o, "(%zu values)", r->n_offset);
	snprintf(d->summary, sizeof d->summary, "y = x * %s + %s", s, o);
}

static cJSON *
json_values(const float *v, size_t n)
{
	char f[KX_FLOAT_BUF];
	cJSON *a;
	size_t i;

	if (n == 1) {
		kx_format_float(v[0], f);
		return cJSON_CreateRaw(f);
	}
	a = cJSON_CreateArray();
	for (i = 0; a && i < n; i++) {
		kx_format_float(v[i], f);
		cJSON_AddItemToArray(a, cJSON_CreateRaw(f));
	}
	return a;
}

static void
describe_json(const struct kx_layer *l, cJSON *o)
{
	const struct rescaling *r = l->priv;

	cJSON_AddItemToObject(o, "scale", json_values(r->scale, r->n_scale));
	cJSON_AddItemToObject(o, "offset", json_values(r->offset, r->n_offset));
}

static void
free_rescaling(struct kx_layer *l)
{
	struct rescaling *r = l->priv;

	if (r) {
		free(r->scale);
		free(r->offset);
		free(r->scale64);
		free(r->offset64);
		free(r);
	}
	l->priv = NULL;
}

static const char *const classes[] = { "Rescaling", NULL };

const struct kx_layer_ops kx_layer_rescaling = {
	.kind = "Rescaling",
	.classes = classes,
	.parse = parse,
	.shape = shape,
	.forward = forward,
	.forward64 = forward64,
	.describe = describe,
	.describe_json = describe_json,
	.free = free_rescaling,
};
