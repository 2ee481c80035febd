/* act.c - Keras activations in float32 and float64 (Keras 3 definitions). */
#include <cjson/cJSON.h>
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "act.h"

/* Every name Keras 3.3-3.16 accepts (keras.activations.ALL_OBJECTS_DICT),
 * aliases included, in kanx-formats(5)'s order. */
static const struct {
	const char *name;
	enum kx_act_kind kind;
} act_names[] = {
	{ "linear", KX_ACT_LINEAR }, { "silu", KX_ACT_SILU }, { "swish", KX_ACT_SILU },
	{ "relu", KX_ACT_RELU }, { "gelu", KX_ACT_GELU }, { "tanh", KX_ACT_TANH },
	{ "sigmoid", KX_ACT_SIGMOID }, { "softplus", KX_ACT_SOFTPLUS },
	{ "softsign", KX_ACT_SOFTSIGN }, { "elu", KX_ACT_ELU }, { "selu", KX_ACT_SELU },
	{ "mish", KX_ACT_MISH }, { "leaky_relu", KX_ACT_LEAKY_RELU },
	{ "relu6", KX_ACT_RELU6 }, { "hard_sigmoid", KX_ACT_HARD_SIGMOID },
	{ "hard_silu", KX_ACT_HARD_SILU }, { "hard_swish", KX_ACT_HARD_SILU },
	{ "exponential", KX_ACT_EXPONENTIAL }, { "celu", KX_ACT_CELU },
	{ "hard_shrink", KX_ACT_HARD_SHRINK }, { "hard_tanh", KX_ACT_HARD_TANH },
	{ "log_sigmoid", KX_ACT_LOG_SIGMOID }, { "soft_shrink", KX_ACT_SOFT_SHRINK },
	{ "sparse_plus", KX_ACT_SPARSE_PLUS }, { "sparse_sigmoid", KX_ACT_SPARSE_SIGMOID },
	{ "squareplus", KX_ACT_SQUAREPLUS }, { "tanh_shrink", KX_ACT_TANH_SHRINK },
	{ "softmax", KX_ACT_SOFTMAX }, { "log_softmax", KX_ACT_LOG_SOFTMAX },
	{ "sparsemax", KX_ACT_SPARSEMAX }, { "glu", KX_ACT_GLU },
};
#define N_NAMES (sizeof act_names / sizeof act_names[0])

/* keras.activations.NAME's defaults */
static struct kx_act
act_default(enum kx_act_kind kind)
{
	struct kx_act a;

	memset(&a, 0, sizeof a);
	a.kind = kind;
	switch (kind) {
	case KX_ACT_LEAKY_RELU:
		a.slope = 0.2f;
		break;
	case KX_ACT_ELU:
	case KX_ACT_CELU:
		a.alpha = 1.0f;
		break;
	case KX_ACT_SQUAREPLUS:
		a.alpha = 4.0f;
		break;
	case KX_ACT_HARD_SHRINK:
	case KX_ACT_SOFT_SHRINK:
		a.alpha = 0.5f;
		break;
	default:
		break;
	}
	return a;
}

int
kx_act_lookup(const char *name, struct kx_act *out)
{
	size_t i;

	if (name == NULL)
		return -1;
	for (i = 0; i < N_NAMES; i++)
		if (strcmp(name, act_names[i].name) == 0) {
			*out = act_default(act_names[i].kind);
			return 0;
		}
	return -1;
}

const char *
kx_act_table_name(size_t i)
{
	return i < N_NAMES ? act_names[i].name : NULL;
}

const char *
kx_act_name(struct kx_act a)
{
	size_t i;

	for (i = 0; i < N_NAMES; i++)
		if (act_names[i].kind == a.kind)
			return act_names[i].name;
	return "?";
}

int
kx_act_equal(struct kx_act a, struct kx_act b)
{
	return a.kind == b.kind && a.slope == b.slope && a.alpha == b.alpha &&
	       a.has_max == b.has_max && (!a.has_max || a.max_value == b.max_value) &&
	       a.threshold == b.threshold && a.approximate == b.approximate;
}

int
kx_act_is_rowwise(struct kx_act a)
{
	return a.kind >= KX_ACT_SOFTMAX;
}

int
kx_act_width(struct kx_act a, size_t in, size_t *out)
{
	if (a.kind != KX_ACT_GLU) {
		*out = in;
		return 0;
	}
	if (in % 2 != 0)
		return -1;
	*out = in / 2;
	return 0;
}

/* the shortest %g that reads back as f */
static void
fmt_param(char *buf, size_t len, const char *key, float f)
{
	int p;

	for (p = 1; p < 9; p++) {
		snprintf(buf, len, "%s=%.*g", key, p, (double)f);
		if (strtof(strchr(buf, '=') + 1, NULL) == f)
			return;
	}
	snprintf(buf, len, "%s=%.9g", key, (double)f);
}

void
kx_act_format(struct kx_act a, char *buf, size_t len)
{
	struct kx_act d = act_default(a.kind);
	char p[4][48];
	size_t n = 0, i, used;

	if (len == 0)
		return;
	if (a.has_max)
		fmt_param(p[n++], sizeof p[0], "max_value", a.max_value);
	if (a.slope != d.slope)
		fmt_param(p[n++], sizeof p[0], "negative_slope", a.slope);
	if (a.threshold != d.threshold)
		fmt_param(p[n++], sizeof p[0], "threshold", a.threshold);
	if (a.alpha != d.alpha)
		fmt_param(p[n++], sizeof p[0], a.kind == KX_ACT_SQUAREPLUS ? "b" :
		          a.kind == KX_ACT_ELU || a.kind == KX_ACT_CELU ? "alpha" : "threshold", a.alpha);
	if (a.approximate)
		snprintf(p[n++], sizeof p[0], "approximate=true");
	used = (size_t)snprintf(buf, len, "%s", kx_act_name(a));
	for (i = 0; i < n && used < len; i++)
		used += (size_t)snprintf(buf + used, len - used, "%s%s", i ? ", " : "(", p[i]);
	if (n && used < len)
		snprintf(buf + used, len - used, ")");
}

/* ---- reading an activation from a config ---- */

static const cJSON *
item(const cJSON *o, const char *key)
{
	return cJSON_GetObjectItemCaseSensitive(o, key);
}

/* A float parameter of a layer config: absent -> dflt; null -> *isnull
 * (when allowed); else a finite number. */
static int
num_param(const cJSON *cfg, const char *key, float dflt, float *out, int *isnull,
          char *why, size_t whylen)
{
	const cJSON *v = item(cfg, key);

	if (isnull)
		*isnull = 0;
	if (!v) {
		*out = dflt;
		return 0;
	}
	if (cJSON_IsNull(v) && isnull) {
		*isnull = 1;
		return 0;
	}
	if (!cJSON_IsNumber(v) || !isfinite(v->valuedouble) || fabs(v->valuedouble) > FLT_MAX) {
		snprintf(why, whylen, "'%s' must be a finite number", key);
		return -1;
	}
	*out = (float)v->valuedouble;
	return 0;
}

/* A softmax axis: the last one of a (batch, features) row, as -1, 1, [-1]
 * or [1]. */
static int
last_axis(const cJSON *v)
{
	if (!v)
		return 1;
	if (cJSON_IsArray(v) && cJSON_GetArraySize(v) == 1)
		v = cJSON_GetArrayItem(v, 0);
	return cJSON_IsNumber(v) && (v->valuedouble == -1.0 || v->valuedouble == 1.0);
}

#define KX_ACT_MAX_DEPTH 4

static int parse_at(const cJSON *v, int mul_threshold, struct kx_act *out, char *why,
                    size_t whylen, int depth);

/* The activation a Keras layer of class c with config cfg computes:
 * ReLU, LeakyReLU, ELU, Softmax, or Activation (of any of these). */
static int
parse_class(const char *c, const cJSON *cfg, int mul_threshold, struct kx_act *out, char *why,
            size_t whylen, int depth)
{
	int isnull;

	if (strcmp(c, "Activation") == 0)
		return parse_at(item(cfg, "activation"), mul_threshold, out, why, whylen, depth + 1);
	if (strcmp(c, "ReLU") == 0) {
		*out = act_default(KX_ACT_RELU);
		if (num_param(cfg, "max_value", 0.0f, &out->max_value, &isnull, why, whylen) != 0 ||
		    num_param(cfg, "negative_slope", 0.0f, &out->slope, NULL, why, whylen) != 0 ||
		    num_param(cfg, "threshold", 0.0f, &out->threshold, NULL, why, whylen) != 0)
			return -1;
		out->has_max = item(cfg, "max_value") && !isnull;
		out->mul_threshold = (unsigned char)mul_threshold;
		if ((out->has_max && out->max_value < 0.0f) || out->slope < 0.0f || out->threshold < 0.0f) {
			snprintf(why, whylen, "ReLU: max_value, negative_slope and threshold cannot be "
			         "negative (Keras refuses them)");
			return -1;
		}
		return 0;
	}
	if (strcmp(c, "LeakyReLU") == 0) {
		*out = act_default(KX_ACT_LEAKY_RELU);
		if (num_param(cfg, "negative_slope", 0.3f, &out->slope, NULL, why, whylen) != 0)
			return -1;
		if (out->slope < 0.0f) {
			snprintf(why, whylen, "LeakyReLU: negative_slope cannot be negative (Keras refuses it)");
			return -1;
		}
		return 0;
	}
	if (strcmp(c, "ELU") == 0) {
		*out = act_default(KX_ACT_ELU);
		return num_param(cfg, "alpha", 1.0f, &out->alpha, NULL, why, whylen);
	}
	if (strcmp(c, "Softmax") == 0) {
		if (!last_axis(item(cfg, "axis"))) {
			snprintf(why, whylen, "Softmax: only the last axis (-1) of a (batch, features) row "
			         "is supported");
			return -1;
		}
		*out = act_default(KX_ACT_SOFTMAX);
		return 0;
	}
	if (strcmp(c, "PReLU") == 0)
		snprintf(why, whylen, "a PReLU as an activation is supported as a layer's activation "
		         "only (its alpha, under the layer's activation/vars, is a node of its own), "
		         "not inside a layer such as a KANLinear base activation");
	else
		snprintf(why, whylen, "unsupported activation object '%.60s'", c);
	return -1;
}

static int
parse_at(const cJSON *v, int mul_threshold, struct kx_act *out, char *why, size_t whylen, int depth)
{
	const cJSON *cls, *mod, *cfg;
	const char *c;

	if (!v || cJSON_IsNull(v)) {
		*out = act_default(KX_ACT_LINEAR);
		return 0;
	}
	if (cJSON_IsString(v)) {
		if (kx_act_lookup(v->valuestring, out) == 0)
			return 0;
		if (strcmp(v->valuestring, "threshold") == 0)
			snprintf(why, whylen, "activation 'threshold' needs the arguments threshold and "
			         "default_value, which Keras cannot pass by name (it raises TypeError)");
		else
			snprintf(why, whylen, "unsupported activation '%.100s'", v->valuestring);
		return -1;
	}
	if (!cJSON_IsObject(v)) {
		snprintf(why, whylen, "an activation must be a name or a serialized Keras object");
		return -1;
	}
	if (depth >= KX_ACT_MAX_DEPTH) {
		snprintf(why, whylen, "activation objects nested deeper than %d", KX_ACT_MAX_DEPTH);
		return -1;
	}
	cls = item(v, "class_name");
	mod = item(v, "module");
	cfg = item(v, "config");
	if (!cJSON_IsString(cls)) {
		snprintf(why, whylen, "a serialized activation without a class_name");
		return -1;
	}
	c = cls->valuestring;
	if (mod && !cJSON_IsNull(mod) && (!cJSON_IsString(mod) ||
	    (strcmp(mod->valuestring, "builtins") != 0 && strncmp(mod->valuestring, "keras", 5) != 0))) {
		snprintf(why, whylen, "activation object '%.60s' from module '%.60s': only Keras's own "
		         "activations are supported", c, cJSON_IsString(mod) ? mod->valuestring : "?");
		return -1;
	}
	if (strcmp(c, "function") == 0) {
		const char *m = cJSON_IsString(mod) ? mod->valuestring : "builtins";
		if (!cJSON_IsString(cfg)) {
			snprintf(why, whylen, "a serialized activation function without its name");
			return -1;
		}
		if (strcmp(m, "keras.ops") == 0 || strncmp(m, "keras.src.ops", 13) == 0) {
			/* keras.ops.NAME: the same functions, but gelu's default is
			 * the tanh approximation, and ops has no linear, mish or
			 * exponential (Keras cannot load those) */
			const char *n = cfg->valuestring;
			if (strcmp(n, "linear") == 0 || strcmp(n, "mish") == 0 ||
			    strcmp(n, "exponential") == 0) {
				snprintf(why, whylen, "keras.ops has no function '%s'", n);
				return -1;
			}
			if (parse_at(cfg, mul_threshold, out, why, whylen, depth + 1) != 0)
				return -1;
			out->approximate = out->kind == KX_ACT_GELU;
			return 0;
		}
		if (strcmp(m, "builtins") != 0 && strcmp(m, "keras.activations") != 0 &&
		    strncmp(m, "keras.src.activations", 21) != 0) {
			snprintf(why, whylen, "activation function '%.60s' from module '%.60s': only "
			         "keras.activations and keras.ops functions are supported",
			         cfg->valuestring, m);
			return -1;
		}
		return parse_at(cfg, mul_threshold, out, why, whylen, depth + 1);
	}
	if (!cJSON_IsObject(cfg)) {
		snprintf(why, whylen, "activation object '%.60s' without a config", c);
		return -1;
	}
	return parse_class(c, cfg, mul_threshold, out, why, whylen, depth);
}

long
kx_keras_version(const char *v)
{
	char *end;
	long major, minor;

	if (!v)
		return -1;
	major = strtol(v, &end, 10);
	if (end == v || *end != '.' || major < 0 || major > 1000)
		return -1;
	v = end + 1;
	minor = strtol(v, &end, 10);
	if (end == v || minor < 0 || minor > 999)
		return -1;
	return major * 1000 + minor;
}

int
kx_act_parse(const cJSON *v, const char *keras_version, struct kx_act *out, char *why,
             size_t whylen)
{
	long ver = kx_keras_version(keras_version);

	return parse_at(v, ver >= 0 && ver < 3015, out, why, whylen, 0);
}

int
kx_act_parse_class(const char *cls, const cJSON *cfg, const char *keras_version,
                   struct kx_act *out, char *why, size_t whylen)
{
	long ver = kx_keras_version(keras_version);

	return parse_class(cls, cfg, ver >= 0 && ver < 3015, out, why, whylen, 0);
}

#if defined(__GNUC__) && !defined(__clang__)
#define KX_VECTORISE __attribute__((optimize("O3", "no-trapping-math")))
#else
#define KX_VECTORISE
#endif

/* exp(x) in float32 without a libm call, so loops over it vectorise:
 * x = n ln2 + r with |r| <= ln2/2, e^r by its degree-7 Taylor polynomial
 * (truncation error below 5e-9 relative), 2^n applied in two halves,
 * 2^(n-1) then 2, so that a result past FLT_MAX overflows to infinity as
 * expf does. x is clamped to [-86, 89]: above, the result is infinite;
 * below, it is under 2^-123, which is all silu needs (1 + exp(-x) is 1
 * there). Within 2 ulp of expf on [-86, 88.7] (tests/unit_act.c checks it).
 * The panel kernels' silu8 (kernel_panel_body.h) is the same operations
 * in the same order. */
KX_VECTORISE static inline float kx_expf(float x) __attribute__((always_inline));

KX_VECTORISE
static inline float
kx_expf(float x)
{
	union { float f; int32_t i; } sc;
	float t, fn, r, p;

	/* NaN goes to -86 too: (int32_t)NaN below would be undefined, and
	 * silu's numerator keeps a NaN input NaN. */
	x = x > -86.0f ? x : -86.0f;
	x = x < 89.0f ? x : 89.0f;
	t = x * 1.44269504088896341f;
	fn = (t + 12582912.0f) - 12582912.0f;  /* round to nearest */
	r = x - fn * 0.693145751953125f;
	r = r - fn * 1.428606765330187045e-6f;
	p = 1.0f + r * (1.0f + r * (0.5f + r * (1.0f / 6 + r * (1.0f / 24 + r * (1.0f / 120 +
	    r * (1.0f / 720 + r * (1.0f / 5040)))))));
	sc.i = ((int32_t)fn - 1 + 127) << 23;
	return p * sc.f * 2.0f;
}

/* silu(x) = x * sigmoid(x), as x / (1 + exp(-x)): -0 where exp(-x)
 * overflows (Keras: x * (1 / (1 + inf)) = x * 0), x where it is tiny. */
KX_VECTORISE
static void
silu_vec(const float *restrict x, float *restrict y, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		y[i] = x[i] / (1.0f + kx_expf(-x[i]));
}

float
kx_act_expf(float x)
{
	return kx_expf(x);
}

/* The definitions, once for float32 and once for float64 (act_body.h). */
#include <tgmath.h>

#define T float
#define SFX(n) n##32
#define C_SQRT2 1.41421354f
#define C_SQRT_2_PI 0.797884583f
#define C_GELU_A 0.044715f
#define C_SELU_SCALE 1.05070102f
#define C_SELU_ALPHA 1.67326319f
#include "act_body.h"
#undef T
#undef SFX
#undef C_SQRT2
#undef C_SQRT_2_PI
#undef C_GELU_A
#undef C_SELU_SCALE
#undef C_SELU_ALPHA

#define T double
#define SFX(n) n##64
#define C_SQRT2 1.4142135623730951
#define C_SQRT_2_PI 0.7978845608028654
#define C_GELU_A 0.044715
#define C_SELU_SCALE 1.0507009873554805
#define C_SELU_ALPHA 1.6732632423543772
#include "act_body.h"
#undef T
#undef SFX

void
kx_act_apply(struct kx_act a, const float *x, float *y, size_t n)
{
	size_t i;

	switch (a.kind) {
	case KX_ACT_LINEAR:
	case KX_ACT_SOFTMAX:
	case KX_ACT_LOG_SOFTMAX:
	case KX_ACT_SPARSEMAX:
	case KX_ACT_GLU:
		if (x != y)
			memmove(y, x, n * sizeof *y);
		break;
	case KX_ACT_SILU:
		if (x != y) {
			silu_vec(x, y, n);
		} else {
			for (i = 0; i < n; i++)
				y[i] = y[i] / (1.0f + kx_expf(-y[i]));
		}
		break;
	default:
		for (i = 0; i < n; i++)
			y[i] = elementwise32(&a, x[i]);
		break;
	}
}

void
kx_act_apply_rows(struct kx_act a, const float *x, float *y, size_t n, size_t w)
{
	apply_rows32(a, x, y, n, w, kx_act_apply);
}

static void
each64(struct kx_act a, const double *x, double *y, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		y[i] = elementwise64(&a, x[i]);
}

void
kx_act_apply_rows64(struct kx_act a, const double *x, double *y, size_t n, size_t w)
{
	apply_rows64(a, x, y, n, w, each64);
}
