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
/* finite-math-only lets the clamps below become minps/maxps: a NaN input
 * then clamps to an end of the range, and silu still returns NaN through
 * its numerator. */
#define KX_VECTORISE \
	__attribute__((optimize("O3", "no-trapping-math", "finite-math-only", "no-signed-zeros")))
#else
#define KX_VECTORISE
#endif

/* exp(x) for float32 without a libm call, so loops over it vectorise:
 * x = n ln2 + r with |r| <= ln2/2, e^r by its degree-7 Taylor polynomial
 * (truncation error below 5e-9 relative), 2^n by building the exponent.
 * Inputs are clamped to [-87, 88] so 2^n stays a normal float. Within 2
 * ulp of expf over that range (tests/unit.c checks it). */
KX_VECTORISE static inline float kx_expf(float x) __attribute__((always_inline));

KX_VECTORISE
static inline float
kx_expf(float x)
{
	union { float f; int32_t i; } sc;
	float t, fn, r, p;

	/* NaN goes to -87 too: (int32_t)NaN below would be undefined, and
	 * silu's numerator keeps a NaN input NaN. */
	x = x > -87.0f ? x : -87.0f;
	x = x < 88.0f ? x : 88.0f;
	t = x * 1.44269504088896341f;
	fn = (t + 12582912.0f) - 12582912.0f;  /* round to nearest */
	r = x - fn * 0.693145751953125f;
	r = r - fn * 1.428606765330187045e-6f;
	p = 1.0f + r * (1.0f + r * (0.5f + r * (1.0f / 6 + r * (1.0f / 24 + r * (1.0f / 120 +
	    r * (1.0f / 720 + r * (1.0f / 5040)))))));
	sc.i = ((int32_t)fn + 127) << 23;
	return p * sc.f;
}

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

static float
sigmoidf(float x)
{
	return 1.0f / (1.0f + expf(-x));
}

static float
softplusf(float x)
{
	/* log(1 + exp(x)) without overflow */
	return fmaxf(x, 0.0f) + log1pf(expf(-fabsf(x)));
}

static float
relu6f(float x)
{
	return fminf(fmaxf(x, 0.0f), 6.0f);
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
			y[i] = x[i] > 0.0f ? x[i] : 0.0f;
		break;
	case KX_ACT_GELU:
		for (i = 0; i < n; i++)
			y[i] = (float)(0.5 * (double)x[i] * (1.0 + erf((double)x[i] * 0.70710678118654752440)));
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
			y[i] = x[i] > 0.0f ? x[i] : expm1f(x[i]);
		break;
	case KX_ACT_SELU:
		for (i = 0; i < n; i++)
			y[i] = 1.0507009873554805f *
			       (x[i] > 0.0f ? x[i] : 1.6732632423543772f * expm1f(x[i]));
		break;
	case KX_ACT_MISH:
		for (i = 0; i < n; i++)
			y[i] = x[i] * tanhf(softplusf(x[i]));
		break;
	case KX_ACT_LEAKY_RELU:
		for (i = 0; i < n; i++)
			y[i] = x[i] >= 0.0f ? x[i] : 0.2f * x[i];
		break;
	case KX_ACT_RELU6:
		for (i = 0; i < n; i++)
			y[i] = relu6f(x[i]);
		break;
	case KX_ACT_HARD_SIGMOID:
		for (i = 0; i < n; i++)
			y[i] = relu6f(x[i] + 3.0f) / 6.0f;
		break;
	case KX_ACT_HARD_SILU:
		for (i = 0; i < n; i++)
			y[i] = x[i] * (relu6f(x[i] + 3.0f) / 6.0f);
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
