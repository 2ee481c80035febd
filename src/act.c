/* act.c - Keras activations in float32 (Keras 3 definitions). */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "act.h"

static const struct {
	const char *name;
	enum kx_act act;
} act_names[] = {
	{ "linear", KX_ACT_LINEAR }, { "silu", KX_ACT_SILU }, { "swish", KX_ACT_SILU },
	{ "relu", KX_ACT_RELU }, { "gelu", KX_ACT_GELU }, { "tanh", KX_ACT_TANH },
	{ "sigmoid", KX_ACT_SIGMOID }, { "softplus", KX_ACT_SOFTPLUS },
	{ "softsign", KX_ACT_SOFTSIGN }, { "elu", KX_ACT_ELU }, { "selu", KX_ACT_SELU },
	{ "mish", KX_ACT_MISH }, { "leaky_relu", KX_ACT_LEAKY_RELU },
	{ "relu6", KX_ACT_RELU6 }, { "hard_sigmoid", KX_ACT_HARD_SIGMOID },
	{ "hard_silu", KX_ACT_HARD_SILU }, { "hard_swish", KX_ACT_HARD_SILU },
	{ "exponential", KX_ACT_EXPONENTIAL }, { "softmax", KX_ACT_SOFTMAX },
	{ "log_softmax", KX_ACT_LOG_SOFTMAX },
};

int
kx_act_lookup(const char *name, enum kx_act *out)
{
	size_t i;

	if (name == NULL)
		return -1;
	for (i = 0; i < sizeof act_names / sizeof act_names[0]; i++)
		if (strcmp(name, act_names[i].name) == 0) {
			*out = act_names[i].act;
			return 0;
		}
	return -1;
}

const char *
kx_act_name(enum kx_act a)
{
	size_t i;

	for (i = 0; i < sizeof act_names / sizeof act_names[0]; i++)
		if (act_names[i].act == a)
			return act_names[i].name;
	return "?";
}

int
kx_act_is_rowwise(enum kx_act a)
{
	return a == KX_ACT_SOFTMAX || a == KX_ACT_LOG_SOFTMAX;
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
 * there). Within 2 ulp of expf on [-86, 88.7] (tests/unit.c checks it).
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

/* Each activation below is Keras 3's definition (keras/src/backend/numpy/
 * nn.py, the same order of float32 operations as the JAX backend), so
 * that the extremes come out as Keras's: overflow to infinity where Keras
 * overflows, -0 and NaN where Keras gives them. */

static float
sigmoidf(float x)
{
	return 1.0f / (1.0f + expf(-x));
}

/* numpy's logaddexp(x, 0): max(x, 0) + log1p(exp(-|x - 0|)) */
static float
softplusf(float x)
{
	return fmaxf(x, 0.0f) + log1pf(expf(-fabsf(x)));
}

/* numpy's maximum and minimum: NaN when either operand is NaN */
static float
np_maxf(float a, float b)
{
	return a != a ? a : a > b ? a : b;
}

static float
np_minf(float a, float b)
{
	return a != a ? a : a < b ? a : b;
}

/* x / 6 + 0.5, then 0 where <= 0, 1 where >= 1 (NaN stays NaN) */
static float
hard_sigmoidf(float x)
{
	float y = x / 6.0f + 0.5f;

	return y <= 0.0f ? 0.0f : y >= 1.0f ? 1.0f : y;
}

/* x * (erf(x / sqrt(2)) + 1) / 2 in float32, erf rounded to float as
 * scipy's float32 erf is: it overflows to infinity above FLT_MAX / 2 as
 * Keras's does, and is -0 where erf rounds to -1. */
static float
geluf(float x)
{
	float e = (float)erf((double)(x / 1.41421354f));

	return x * (e + 1.0f) / 2.0f;
}

void
kx_act_apply(enum kx_act a, const float *x, float *y, size_t n)
{
	size_t i;

	switch (a) {
	case KX_ACT_LINEAR:
	case KX_ACT_SOFTMAX:
	case KX_ACT_LOG_SOFTMAX:
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
	case KX_ACT_RELU:
		for (i = 0; i < n; i++)
			y[i] = np_maxf(x[i], 0.0f);
		break;
	case KX_ACT_GELU:
		for (i = 0; i < n; i++)
			y[i] = geluf(x[i]);
		break;
	case KX_ACT_TANH:
		for (i = 0; i < n; i++)
			y[i] = tanhf(x[i]);
		break;
	case KX_ACT_SIGMOID:
		for (i = 0; i < n; i++)
			y[i] = sigmoidf(x[i]);
		break;
	case KX_ACT_SOFTPLUS:
		for (i = 0; i < n; i++)
			y[i] = softplusf(x[i]);
		break;
	case KX_ACT_SOFTSIGN:
		for (i = 0; i < n; i++)
			y[i] = x[i] / (1.0f + fabsf(x[i]));
		break;
	case KX_ACT_ELU:
		for (i = 0; i < n; i++)
			y[i] = x[i] >= 0.0f ? x[i] : expm1f(x[i]);
		break;
	case KX_ACT_SELU:
		for (i = 0; i < n; i++)
			y[i] = 1.05070102f * (x[i] >= 0.0f ? x[i] : 1.67326319f * expm1f(x[i]));
		break;
	case KX_ACT_MISH:
		for (i = 0; i < n; i++)
			y[i] = x[i] * tanhf(softplusf(x[i]));
		break;
	case KX_ACT_LEAKY_RELU:
		for (i = 0; i < n; i++)
			y[i] = np_maxf(x[i], 0.2f * x[i]);
		break;
	case KX_ACT_RELU6:
		for (i = 0; i < n; i++)
			y[i] = np_minf(np_maxf(x[i], 0.0f), 6.0f);
		break;
	case KX_ACT_HARD_SIGMOID:
		for (i = 0; i < n; i++)
			y[i] = hard_sigmoidf(x[i]);
		break;
	case KX_ACT_HARD_SILU:
		for (i = 0; i < n; i++)
			y[i] = x[i] * hard_sigmoidf(x[i]);
		break;
	case KX_ACT_EXPONENTIAL:
		for (i = 0; i < n; i++)
			y[i] = expf(x[i]);
		break;
	}
}

void
kx_act_apply_rows(enum kx_act a, float *y, size_t n, size_t w)
{
	size_t r, j;

	if (!kx_act_is_rowwise(a) || w == 0)
		return;
	for (r = 0; r < n; r++) {
		float *row = y + r * w, mx = row[0];
		double sum = 0.0;

		for (j = 1; j < w; j++)
			if (row[j] > mx)
				mx = row[j];
		for (j = 0; j < w; j++)
			sum += exp((double)row[j] - (double)mx);
		if (a == KX_ACT_SOFTMAX) {
			for (j = 0; j < w; j++)
				row[j] = (float)(exp((double)row[j] - (double)mx) / sum);
		} else {
			double ls = log(sum);
			for (j = 0; j < w; j++)
				row[j] = (float)((double)row[j] - (double)mx - ls);
		}
	}
}
