/* act_body.h - the Keras activations, written once for both precisions.
 *
 * act.c includes this twice: with T float and SFX(n) n##32 (the float32
 * definitions, the same operations in the same order as Keras's NumPy
 * backend in float32), and with T double and SFX(n) n##64 (what a layer
 * under the float64 dtype policy computes). <tgmath.h> picks expf or exp
 * by T; C_* are the constants as Keras writes them, rounded to T (the
 * float values are those the float32 code has always used). Each
 * activation is Keras 3's definition (keras/src/backend/numpy/nn.py), so
 * that the extremes come out as Keras's: overflow to infinity where Keras
 * overflows, -0 and NaN where Keras gives them. */

static T
SFX(sigmoid)(T x)
{
	return (T)1 / ((T)1 + exp(-x));
}

/* numpy's logaddexp(x, 0): max(x, 0) + log1p(exp(-|x - 0|)) */
static T
SFX(softplus)(T x)
{
	return fmax(x, (T)0) + log1p(exp(-fabs(x)));
}

/* numpy's maximum and minimum: NaN when either operand is NaN, the
 * second operand when they compare equal (maximum(-0, 0) is 0) */
static T
SFX(np_max)(T a, T b)
{
	return a != a ? a : a > b ? a : b;
}

static T
SFX(np_min)(T a, T b)
{
	return a != a ? a : a < b ? a : b;
}

/* x / 6 + 0.5, then 0 where <= 0, 1 where >= 1 (NaN stays NaN); the
 * same in 3.3, 3.8 and 3.16 (ops.hard_sigmoid's docstring says 0.2x+0.5,
 * the backends compute x/6+0.5) */
static T
SFX(hard_sigmoid)(T x)
{
	T y = x / (T)6 + (T)0.5;

	return y <= (T)0 ? (T)0 : y >= (T)1 ? (T)1 : y;
}

/* approximate=False: x * (erf(x / sqrt(2)) + 1) / 2, erf in double
 * rounded to T as scipy's float32 erf is: it overflows to infinity above
 * FLT_MAX / 2 as Keras's does, and is -0 where erf rounds to -1.
 * approximate=True: x * 0.5 * (1 + tanh(sqrt(2/pi) * (x + 0.044715 x^3))),
 * x^3 by pow as numpy's power computes it. */
static T
SFX(gelu)(T x, int approximate)
{
	T e;

	if (approximate) {
		T inner = C_SQRT_2_PI * (x + C_GELU_A * pow(x, (T)3));
		return x * ((T)0.5 * ((T)1 + tanh(inner)));
	}
	e = (T)erf((double)(x / C_SQRT2));
	return x * (e + (T)1) / (T)2;
}

/* keras.activations.relu / the ReLU layer (ReLU.static_call): the
 * branches Keras takes for each combination of parameters. */
static T
SFX(relu)(const struct kx_act *a, T x)
{
	T y, neg = (T)0, slope = (T)a->slope, thr = (T)a->threshold;
	int clip = a->has_max;

	if (a->slope != 0.0f) {
		if (!a->has_max && a->threshold == 0.0f)
			return SFX(np_max)(x, slope * x);
		neg = SFX(np_max)(a->threshold != 0.0f ? -x + thr : -x, (T)0);
	}
	if (a->threshold != 0.0f) {
		/* Keras 3.15+: where(x > threshold, x, 0); before: x * (x >
		 * threshold), which keeps -0 and makes -inf NaN */
		if (a->mul_threshold)
			y = x * (x > thr ? (T)1 : (T)0);
		else
			y = x > thr ? x : (T)0;
	} else if (a->has_max && a->max_value == 6.0f) {
		y = SFX(np_min)(SFX(np_max)(x, (T)0), (T)6);
		clip = 0;
	} else {
		y = SFX(np_max)(x, (T)0);
	}
	if (clip)
		y = SFX(np_min)(SFX(np_max)(y, (T)0), (T)a->max_value);
	if (a->slope != 0.0f)
		y -= slope * neg;
	return y;
}

static T
SFX(elementwise)(const struct kx_act *a, T x)
{
	T al = (T)a->alpha;

	switch (a->kind) {
	case KX_ACT_SILU:   /* float32 runs silu_vec instead */
		return x * SFX(sigmoid)(x);
	case KX_ACT_RELU:
		if (a->slope == 0.0f && !a->has_max && a->threshold == 0.0f)
			return SFX(np_max)(x, (T)0);
		return SFX(relu)(a, x);
	case KX_ACT_GELU:
		return SFX(gelu)(x, a->approximate);
	case KX_ACT_TANH:
		return tanh(x);
	case KX_ACT_SIGMOID:
		return SFX(sigmoid)(x);
	case KX_ACT_SOFTPLUS:
		return SFX(softplus)(x);
	case KX_ACT_SOFTSIGN:
		return x / ((T)1 + fabs(x));
	case KX_ACT_ELU:
		return x >= (T)0 ? x : al * expm1(x);
	case KX_ACT_SELU:
		return C_SELU_SCALE * (x >= (T)0 ? x : C_SELU_ALPHA * expm1(x));
	case KX_ACT_MISH:
		return x * tanh(SFX(softplus)(x));
	case KX_ACT_LEAKY_RELU:
		return SFX(np_max)(x, (T)a->slope * x);
	case KX_ACT_RELU6:
		return SFX(np_min)(SFX(np_max)(x, (T)0), (T)6);
	case KX_ACT_HARD_SIGMOID:
		return SFX(hard_sigmoid)(x);
	case KX_ACT_HARD_SILU:
		return x * SFX(hard_sigmoid)(x);
	case KX_ACT_EXPONENTIAL:
		return exp(x);
	case KX_ACT_CELU:
		return SFX(np_max)(x, (T)0) + al * expm1(SFX(np_min)(x, (T)0) / al);
	case KX_ACT_HARD_SHRINK:
		return fabs(x) > al ? x : (T)0;
	case KX_ACT_HARD_TANH:
		return SFX(np_min)(SFX(np_max)(x, (T)-1), (T)1);
	case KX_ACT_LOG_SIGMOID:
		return -SFX(softplus)(-x);
	case KX_ACT_SOFT_SHRINK:
		return x > al ? x - al : x < -al ? x + al : (T)0;
	case KX_ACT_SPARSE_PLUS:
		return x <= (T)-1 ? (T)0 : x < (T)1 ? (T)0.25 * ((x + (T)1) * (x + (T)1)) : x;
	case KX_ACT_SPARSE_SIGMOID:
		return x <= (T)-1 ? (T)0 : x >= (T)1 ? (T)1 : (T)0.5 * (x + (T)1);
	case KX_ACT_SQUAREPLUS:
		return (x + sqrt(x * x + al)) / (T)2;
	case KX_ACT_TANH_SHRINK:  /* numpy's float32 tanh is x itself where glibc's tanhf is not */
		return x - (T)tanh((double)x);
	default:
		return x;
	}
}

/* softmax and log_softmax of one row, as numpy computes them: exp(x -
 * max), its sum (here in double: within an ulp of numpy's float32 sum). */
static void
SFX(softmax_row)(T *row, size_t w, int log_)
{
	T mx = row[0];
	double sum = 0.0;
	size_t j;

	for (j = 1; j < w; j++)
		if (mx == mx && (row[j] > mx || row[j] != row[j]))
			mx = row[j];
	for (j = 0; j < w; j++)
		sum += (double)exp(row[j] - mx);
	if (!log_) {
		for (j = 0; j < w; j++)
			row[j] = (T)((double)exp(row[j] - mx) / sum);
	} else {
		T ls = (T)log(sum);
		for (j = 0; j < w; j++)
			row[j] = row[j] - mx - ls;
	}
}

/* The j-th largest of row (j counted from 0), for sparsemax's sorted
 * order without a buffer: the largest value below the previous one, with
 * its multiplicity. */
static T
SFX(next_largest)(const T *row, size_t w, T prev, int first, size_t *count)
{
	T best = -INFINITY;
	size_t j, c = 0;

	for (j = 0; j < w; j++) {
		T v = row[j];
		if (v != v || (!first && !(v < prev)))
			continue;
		if (v > best || c == 0) {
			best = v;
			c = 1;
		} else if (v == best) {
			c++;
		}
	}
	*count = c;
	return best;
}

/* Keras's sparsemax (numpy backend, 3.8-3.16), as written: z sorted in
 * descending order, its cumulative sums c_j (in T), support where z_j -
 * (c_j - 1) / (j + 1) > 0 (in float64: the difference divided by
 * numpy's int64 arange), k its size, tau = (sum over the support of c_j -
 * 1) / k in float64, out = max(x - tau, 0). (tau sums the cumulative sums
 * themselves, not only the last one; Keras computes that, so kanx does.)
 * numpy sorts a NaN last, where it joins no support; it stays NaN in the
 * output. */
static void
SFX(sparsemax_row)(T *row, size_t w)
{
	T c = (T)0, prev = (T)0;
	double tau, csum = 0.0;
	size_t j = 0, k = 0, cnt, t, nn = 0;

	for (t = 0; t < w; t++)
		nn += row[t] == row[t];
	while (j < nn) {
		prev = SFX(next_largest)(row, w, prev, j == 0, &cnt);
		for (t = 0; t < cnt && j < nn; t++, j++) {
			c += prev;
			if ((double)prev - (double)(c - (T)1) / (double)(j + 1) > 0.0) {
				csum += (double)c;
				k++;
			}
		}
	}
	tau = ((double)(T)csum - 1.0) / (double)k;
	for (j = 0; j < w; j++) {
		double d = (double)row[j] - tau;
		row[j] = d != d ? (T)d : d > 0.0 ? (T)d : (T)0;
	}
}

/* The row-wise activations over n rows of width w (y packed at glu's
 * half width), and elementwise ones through `each` (kx_act_apply for
 * float32, the elementwise definitions for double). */
static void
SFX(apply_rows)(struct kx_act a, const T *x, T *y, size_t n, size_t w,
                void (*each)(struct kx_act, const T *, T *, size_t))
{
	size_t r, j, h = w / 2;

	if (w == 0)
		return;
	switch (a.kind) {
	case KX_ACT_SOFTMAX:
	case KX_ACT_LOG_SOFTMAX:
	case KX_ACT_SPARSEMAX:
		if (x != y)
			memmove(y, x, n * w * sizeof *y);
		for (r = 0; r < n; r++) {
			if (a.kind == KX_ACT_SPARSEMAX)
				SFX(sparsemax_row)(y + r * w, w);
			else
				SFX(softmax_row)(y + r * w, w, a.kind == KX_ACT_LOG_SOFTMAX);
		}
		break;
	case KX_ACT_GLU:
		/* row r's output goes to r * h, at or before where its input
		 * starts, so in place in row order reads every input first */
		for (r = 0; r < n; r++) {
			const T *in = x + r * w;
			T *out = y + r * h;
			for (j = 0; j < h; j++)
				out[j] = in[j] * SFX(sigmoid)(in[h + j]);
		}
		break;
	default:
		each(a, x, y, n * w);
		break;
	}
}
