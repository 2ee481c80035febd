/* dtype.c - Keras dtype policies (see dtype.h). */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "dtype.h"
#include "layer.h"
#include "model.h"

static const char *const names[] = {
	[KX_DT_FLOAT32] = "float32",
	[KX_DT_FLOAT64] = "float64",
	[KX_DT_FLOAT16] = "float16",
	[KX_DT_BFLOAT16] = "bfloat16",
	[KX_DT_MIXED_FLOAT16] = "mixed_float16",
	[KX_DT_MIXED_BFLOAT16] = "mixed_bfloat16",
};

int
kx_dtype_parse(const cJSON *d, enum kx_dtype dflt, enum kx_dtype *out, const char **name)
{
	const char *s = NULL;
	size_t i;

	*name = NULL;
	*out = dflt;
	if (!d || cJSON_IsNull(d))
		return 0;
	if (cJSON_IsString(d)) {
		s = d->valuestring;
	} else if (cJSON_IsObject(d)) {
		const cJSON *cls = cJSON_GetObjectItemCaseSensitive(d, "class_name");
		const cJSON *c = cJSON_GetObjectItemCaseSensitive(d, "config");
		const cJSON *n = cJSON_IsObject(c) ? cJSON_GetObjectItemCaseSensitive(c, "name") : NULL;
		s = cJSON_IsString(n) ? n->valuestring : NULL;
		/* a QuantizedDTypePolicy ("int8_from_float32") and the like are
		 * other classes: refused whatever they name */
		if (!cJSON_IsString(cls) || (strcmp(cls->valuestring, "DTypePolicy") != 0 &&
		                             strcmp(cls->valuestring, "FloatDTypePolicy") != 0)) {
			*name = cJSON_IsString(cls) ? cls->valuestring : "?";
			return -1;
		}
	}
	*name = s ? s : "?";
	for (i = 0; s && i < sizeof names / sizeof names[0]; i++)
		if (strcmp(s, names[i]) == 0) {
			*out = (enum kx_dtype)i;
			return 0;
		}
	return -1;
}

const char *
kx_dtype_name(enum kx_dtype dt)
{
	return (size_t)dt < sizeof names / sizeof names[0] ? names[dt] : "?";
}

int
kx_dtype_is64(enum kx_dtype dt)
{
	return dt == KX_DT_FLOAT64;
}

enum kx_dtype
kx_dtype_variable(enum kx_dtype dt)
{
	return dt == KX_DT_MIXED_FLOAT16 || dt == KX_DT_MIXED_BFLOAT16 ? KX_DT_FLOAT32 : dt;
}

int
kx_dtype_reduced_bits(enum kx_dtype dt)
{
	switch (dt) {
	case KX_DT_FLOAT16:
	case KX_DT_MIXED_FLOAT16:
		return 11;
	case KX_DT_BFLOAT16:
	case KX_DT_MIXED_BFLOAT16:
		return 8;
	default:
		return 0;
	}
}

/* v rounded to `bits` significant bits with exponents down to emin
 * (subnormals below), no overflow check: equal to v iff v is exact. */
static double
round_bits(double v, int bits, int emin)
{
	int e;
	double m;

	if (v == 0.0 || !isfinite(v))
		return v;
	m = frexp(v, &e);         /* v = m * 2^e, 0.5 <= |m| < 1 */
	if (e - 1 < emin)         /* subnormal: fewer bits */
		bits -= emin - (e - 1);
	if (bits < 1)
		return 0.0;
	return ldexp(nearbyint(ldexp(m, bits)), e - bits);
}

int
kx_dtype_exact(double v, enum kx_dtype vt)
{
	switch (vt) {
	case KX_DT_FLOAT64:
		return 1;
	case KX_DT_FLOAT16:
		return isnan(v) || (fabs(v) <= 65504.0 ? round_bits(v, 11, -14) == v : isinf(v));
	case KX_DT_BFLOAT16:
		return isnan(v) || (fabs(v) <= 3.3895313892515355e38 ? round_bits(v, 8, -126) == v : isinf(v));
	default:
		return isnan(v) || (double)(float)v == v;
	}
}

/* Reduced-precision layers: how many, the fewest significant bits, and
 * the first one's name and policy. */
static size_t
reduced(const struct kx_model *m, int *bits, const struct kx_layer **first)
{
	size_t i, n = 0;
	int b;

	*bits = 0;
	*first = NULL;
	for (i = 0; i < m->n_layers; i++) {
		if (!(b = kx_dtype_reduced_bits(m->layers[i].dtype)))
			continue;
		if (!n++)
			*first = &m->layers[i];
		if (!*bits || b < *bits)
			*bits = b;
	}
	if ((b = kx_dtype_reduced_bits(m->in_dtype)) && (!*bits || b < *bits))
		*bits = b;
	return n;
}

double
kx_dtype_reduced_bound(const struct kx_model *m)
{
	const struct kx_layer *first;
	int bits;
	size_t n = reduced(m, &bits, &first);

	if (!bits)
		return 0.0;
	/* each layer's rounding to `bits` significant bits is at most 2^-bits
	 * relative; twice the machine epsilon a layer, input included */
	return (double)(n + 1) * ldexp(1.0, 2 - bits);
}

const char *
kx_dtype_note(const struct kx_model *m, char *buf, size_t size)
{
	const struct kx_layer *first;
	int bits;
	size_t n = reduced(m, &bits, &first);

	if (!bits)
		return NULL;
	snprintf(buf, size, "%s: Keras computes %zu layer%s (%s'%s', policy '%s') in reduced "
	         "precision (%d significant bits); kanx computes %s in float32, so its results can "
	         "differ from Keras's by up to about %.2g*(1+|y|)", m->path, n ? n : 1,
	         n == 1 ? "" : "s", n > 1 ? "first " : "", first ? first->name : "input",
	         kx_dtype_name(first ? (enum kx_dtype)first->dtype : (enum kx_dtype)m->in_dtype), bits,
	         n == 1 ? "it" : "them", kx_dtype_reduced_bound(m));
	return buf;
}
