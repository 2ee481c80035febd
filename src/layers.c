/* layers.c - the layer table (layer.h) and what its rows share. */
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "layer.h"
#include "model.h"

extern const struct kx_layer_ops kx_layer_input, kx_layer_dense, kx_layer_activation,
	kx_layer_dropout, kx_layer_relu, kx_layer_leaky_relu, kx_layer_elu, kx_layer_softmax,
	kx_layer_prelu, kx_layer_gaussian_noise, kx_layer_gaussian_dropout, kx_layer_alpha_dropout,
	kx_layer_activity_regularization, kx_layer_identity, kx_layer_spatial_dropout1d,
	kx_layer_masking, kx_layer_batchnorm, kx_layer_layernorm, kx_layer_unitnorm,
	kx_layer_rmsnorm, kx_layer_normalization, kx_layer_rescaling, kx_layer_add,
	kx_layer_subtract, kx_layer_multiply, kx_layer_average, kx_layer_maximum, kx_layer_minimum,
	kx_layer_concatenate, kx_layer_cast;

/* One row per layer kind. Order does not matter: each class is accepted
 * by one row (a test checks it). */
const struct kx_layer_ops *const kx_layer_table[] = {
	&kx_layer_input,
	&kx_layer_kan,
	&kx_layer_dense,
	&kx_layer_activation,
	&kx_layer_dropout,
	&kx_layer_relu,
	&kx_layer_leaky_relu,
	&kx_layer_elu,
	&kx_layer_softmax,
	&kx_layer_prelu,
	&kx_layer_gaussian_noise,
	&kx_layer_gaussian_dropout,
	&kx_layer_alpha_dropout,
	&kx_layer_activity_regularization,
	&kx_layer_identity,
	&kx_layer_spatial_dropout1d,
	&kx_layer_masking,
	&kx_layer_batchnorm,
	&kx_layer_layernorm,
	&kx_layer_unitnorm,
	&kx_layer_rmsnorm,
	&kx_layer_normalization,
	&kx_layer_rescaling,
	&kx_layer_add,
	&kx_layer_subtract,
	&kx_layer_multiply,
	&kx_layer_average,
	&kx_layer_maximum,
	&kx_layer_minimum,
	&kx_layer_concatenate,
	&kx_layer_cast,
	NULL
};

const struct kx_layer_ops *
kx_layer_find(const char *cls, int custom)
{
	size_t i, j;

	for (i = 0; kx_layer_table[i]; i++) {
		const struct kx_layer_ops *o = kx_layer_table[i];
		if (o->custom != custom)
			continue;
		for (j = 0; o->classes[j]; j++)
			if (strcmp(o->classes[j], cls) == 0)
				return o;
	}
	return NULL;
}

void
kx_layer_copy64(const struct kx_layer *l, const double *const *x, size_t n, double *y)
{
	memcpy(y, x[0], n * l->in * sizeof *y);
}

int
kx_layer_shape_same(struct kx_layer *l, const size_t *in_w, size_t n_in, char *msg, size_t size)
{
	if (n_in != 1) {
		snprintf(msg, size, "takes one input, not %zu", n_in);
		return -1;
	}
	l->in = l->out = in_w[0];
	return 0;
}

int
kx_layer_act(struct kx_parse_ctx *ctx, const cJSON *cfg, const char *key, const char *dflt,
             int kan, struct kx_act *out)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(cfg, key);
	char why[300];

	if ((!v || cJSON_IsNull(v)) && dflt) {
		if (kx_act_lookup(dflt, out) != 0)
			return -1;
	} else if (kx_act_parse(v, ctx->keras_version, out, why, sizeof why) != 0) {
		kx_parse_bad(ctx, "%s: %s", key, why);
		return -1;
	}
	if (kan && out->kind == KX_ACT_GLU) {
		kx_parse_bad(ctx, "%s: glu halves the width, and a KANLinear base activation must keep "
		             "it (Keras cannot call that layer either)", key);
		return -1;
	}
	return 0;
}

void
kx_layer_desc_act(struct kx_layer_desc *d, struct kx_act a)
{
	kx_act_format(a, d->act_buf, sizeof d->act_buf);
	d->activation = d->act_buf;
}

void *
kx_layer_priv(struct kx_layer *l, size_t size, struct kx_parse_ctx *ctx)
{
	if (!(l->priv = calloc(1, size)))
		kx_parse_bad(ctx, "out of memory");
	kx_act_lookup("linear", &l->act);
	return l->priv;
}

void
kx_layer_free_priv(struct kx_layer *l)
{
	struct kx_tensor t[KX_MAX_TENSORS];
	size_t n, i;

	if (!l->priv)
		return;
	n = l->ops->tensors ? l->ops->tensors(l, t) : 0;
	for (i = 0; i < n; i++) {
		free(*t[i].dst);
		*t[i].dst = NULL;
	}
	free(l->priv);
	l->priv = NULL;
}

int
kx_layer_last_axis(struct kx_parse_ctx *ctx, const cJSON *cfg, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(cfg, key);

	if (!v)
		return 0;
	if (cJSON_IsArray(v) && cJSON_GetArraySize(v) == 1)
		v = cJSON_GetArrayItem(v, 0);
	if (cJSON_IsNumber(v) && (v->valuedouble == -1.0 || v->valuedouble == 1.0))
		return 0;
	kx_parse_bad(ctx, "%s: only the features axis (-1 or 1) of (batch, features) rows is "
	             "supported", key);
	return -1;
}

int
kx_layer_bool(struct kx_parse_ctx *ctx, const cJSON *cfg, const char *key, int dflt)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(cfg, key);

	if (!v)
		return dflt;
	if (!cJSON_IsBool(v)) {
		kx_parse_bad(ctx, "%s must be true or false", key);
		return dflt;
	}
	return cJSON_IsTrue(v);
}

int
kx_layer_float(struct kx_parse_ctx *ctx, const cJSON *cfg, const char *key, float dflt, float *out)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(cfg, key);

	*out = dflt;
	if (!v)
		return 0;
	if (!cJSON_IsNumber(v) || !isfinite(v->valuedouble) || fabs(v->valuedouble) > FLT_MAX) {
		kx_parse_bad(ctx, "%s must be a finite number", key);
		return -1;
	}
	*out = (float)v->valuedouble;
	return 0;
}

double
kx_layer_double(const cJSON *cfg, const char *key, double dflt)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(cfg, key);

	return cJSON_IsNumber(v) ? v->valuedouble : dflt;
}

const cJSON *
kx_layer_numbers(const cJSON *v, size_t *n)
{
	const cJSON *c;

	if (cJSON_IsObject(v)) {
		const cJSON *cls = cJSON_GetObjectItemCaseSensitive(v, "class_name");
		if (!cJSON_IsString(cls) || (strcmp(cls->valuestring, "__numpy__") != 0 &&
		                             strcmp(cls->valuestring, "__tensor__") != 0))
			return NULL;
		v = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(v, "config"),
		                                     "value");
	}
	if (cJSON_IsArray(v) && cJSON_GetArraySize(v) == 1 && cJSON_IsArray(v->child))
		v = v->child;  /* shape (1, n): broadcast over the rows as (n,) */
	if (cJSON_IsNumber(v)) {
		*n = 1;
		return v;
	}
	if (!cJSON_IsArray(v) || (*n = (size_t)cJSON_GetArraySize(v)) < 1)
		return NULL;
	cJSON_ArrayForEach(c, v)
		if (!cJSON_IsNumber(c))
			return NULL;
	return v;
}

const double *
kx_layer_w64(const struct kx_layer *l, float *const *field)
{
	struct kx_tensor t[KX_MAX_TENSORS];
	size_t n = l->ops->tensors ? l->ops->tensors(l, t) : 0, i;

	for (i = 0; i < n; i++)
		if (t[i].dst == field)
			return l->w64[i];
	return NULL;
}

void
kx_fmt_dims(char *buf, size_t size, const size_t *dims, int rank)
{
	size_t o = 0;
	int i;

	o += (size_t)snprintf(buf + o, size - o, "(");
	for (i = 0; i < rank && o < size; i++)
		o += (size_t)snprintf(buf + o, size - o, "%s%zu", i ? ", " : "", dims[i]);
	if (o < size)
		snprintf(buf + o, size - o, ")");
}

int
kx_layer_kop(const struct kx_layer *l, struct kx_kop *op)
{
	return l->ops->kop ? l->ops->kop(l, op) : -1;
}

int
kx_layer_identity_kop(const struct kx_layer *l, struct kx_kop *op)
{
	*op = (struct kx_kop){ .fast = KX_FAST_IDENTITY, .in = l->in, .out = l->out };
	return 0;
}

void
kx_layer_forward_kop(const struct kx_layer *l, const float *const *x, size_t n, float *y)
{
	struct kx_kop op;

	l->ops->kop(l, &op);
	kx_ref_forward(&op, x[0], n, y);
}

/* ---- merge layers (layer_add.c, ..., layer_concatenate.c) ---- */

struct merge {
	size_t n, w[KX_MAX_INPUTS];    /* the inputs' widths */
};

int
kx_merge_parse(struct kx_layer *l, const cJSON *cfg, struct kx_parse_ctx *ctx)
{
	(void)cfg;
	return kx_layer_priv(l, sizeof(struct merge), ctx) ? 0 : -1;
}

/* The inputs' widths into l's state; -1 with a message when there are
 * none or too many. */
static int
merge_widths(struct kx_layer *l, const size_t *in_w, size_t n_in, char *msg, size_t size)
{
	struct merge *g = l->priv;

	if (n_in < 1 || n_in > KX_MAX_INPUTS) {
		snprintf(msg, size, "%s takes a list of inputs, not %zu", l->ops->kind, n_in);
		return -1;
	}
	memcpy(g->w, in_w, n_in * sizeof *in_w);
	g->n = n_in;
	return 0;
}

/* Keras's _compute_elemwise_op_output_shape on (batch, w) inputs: the
 * widths equal, or 1 (broadcast). */
int
kx_merge_shape(struct kx_layer *l, const size_t *in_w, size_t n_in, char *msg, size_t size)
{
	size_t i, w = 1;

	if (merge_widths(l, in_w, n_in, msg, size) != 0)
		return -1;
	for (i = 0; i < n_in; i++)
		if (in_w[i] != 1)
			w = in_w[i];
	for (i = 0; i < n_in; i++)
		if (in_w[i] != 1 && in_w[i] != w) {
			snprintf(msg, size, "inputs of widths %zu and %zu cannot be merged elementwise "
			         "(Keras broadcasts only a width of 1)", w, in_w[i]);
			return -1;
		}
	l->in = l->out = w;
	return 0;
}

/* The fold and the concatenation, once for float and once for double
 * (a merge layer under the float64 policy). */
#define MERGE_BODIES(T, fold, concat)                                                     \
	void                                                                              \
	fold(const struct kx_layer *l, const T *const *x, size_t n, T *y, T (*op)(T, T),  \
	     int mean)                                                                    \
	{                                                                                 \
		const struct merge *g = l->priv;                                          \
		size_t r, j, i, w = l->out;                                               \
		T k = (T)g->n;                                                            \
                                                                                          \
		for (r = 0; r < n; r++) {                                                 \
			T *yr = y + r * w;                                                \
			for (j = 0; j < w; j++)                                           \
				yr[j] = g->w[0] == 1 ? x[0][r] : x[0][r * w + j];         \
			for (i = 1; i < g->n; i++)                                        \
				for (j = 0; j < w; j++)                                   \
					yr[j] = op(yr[j], g->w[i] == 1 ? x[i][r]          \
					                               : x[i][r * w + j]);  \
			for (j = 0; mean && j < w; j++)                                   \
				yr[j] = yr[j] / k;                                        \
		}                                                                         \
	}                                                                                 \
                                                                                          \
	void                                                                              \
	concat(const struct kx_layer *l, const T *const *x, size_t n, T *y)               \
	{                                                                                 \
		const struct merge *g = l->priv;                                          \
		size_t r, i, c;                                                           \
                                                                                          \
		for (r = 0; r < n; r++)                                                   \
			for (i = 0, c = 0; i < g->n; c += g->w[i], i++)                   \
				memcpy(y + r * l->out + c, x[i] + r * g->w[i],            \
				       g->w[i] * sizeof *y);                               \
	}

MERGE_BODIES(float, kx_merge_fold, kx_merge_concat)
MERGE_BODIES(double, kx_merge_fold64, kx_merge_concat64)

int
kx_merge_concat_shape(struct kx_layer *l, const size_t *in_w, size_t n_in, char *msg, size_t size)
{
	size_t i, w = 0;

	if (merge_widths(l, in_w, n_in, msg, size) != 0)
		return -1;
	for (i = 0; i < n_in; i++)
		if (kx_add(w, in_w[i], &w) != 0) {
			snprintf(msg, size, "the concatenated width overflows");
			return -1;
		}
	l->in = l->out = w;
	return 0;
}
