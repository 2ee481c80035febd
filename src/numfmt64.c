/* numfmt64.c - number text for float64 models (see numfmt.h): strict
 * decimal parsing into a double, and the shortest round-trip printing of
 * a double (the digits of Python's repr(), which numpy prints for a
 * float64 too). Neither is on the float32 hot path: a float64 model runs
 * on the double-precision reference path (ref64.c), whose plain loops
 * take far longer than these.
 *
 * Parsing: kx_parse_float's grammar (it says whether the text is a
 * number at all, before any value is worked out), then strtod() on a
 * NUL-terminated copy; kanx never calls setlocale(), so the C locale's
 * point is the decimal point, and strtod rounds correctly.
 *
 * Printing: the correctly rounded p-digit decimal of v (printf's %.*e) is
 * the nearest p-digit decimal to v, so the shortest p at which it reads
 * back is found by bisection (reading back is monotone in p). The one
 * exception is a power of two, whose rounding interval is narrower below
 * than above: there a (p-1)-digit decimal just above v can read back
 * while the nearest one, below, does not; that neighbour is tried too. */
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "numfmt.h"

int
kx_parse_double(const char *s, size_t len, double *out)
{
	char small[128], *buf = small;
	float f;
	double v;
	int st = kx_parse_float(s, len, &f);

	if (st == KX_NUM_SYNTAX || st == KX_NUM_EMPTY)
		return st;
	if (len >= sizeof small && !(buf = malloc(len + 1)))
		return KX_NUM_RANGE;   /* a number longer than memory: not readable */
	memcpy(buf, s, len);
	buf[len] = '\0';
	v = strtod(buf, NULL);
	if (buf != small)
		free(buf);
	if (isinf(v))
		return KX_NUM_RANGE;
	*out = v;
	return KX_NUM_OK;
}

/* v (finite, > 0) with p significant digits, correctly rounded: the
 * digits into dig (NUL-terminated) and the decimal exponent of the first.
 * Returns 1 if they read back as v. */
static int
digits(double v, int p, char *dig, int *x)
{
	char t[40], *e;
	size_t n = 0, i;

	snprintf(t, sizeof t, "%.*e", p - 1, v);
	for (i = 0; t[i] && t[i] != 'e'; i++)
		if (t[i] != '.')
			dig[n++] = t[i];
	dig[n] = '\0';
	*x = (int)strtol(t + i + 1, &e, 10);
	return strtod(t, NULL) == v;
}

/* dig (p digits, exponent x) plus one unit in its last place; 1 if that
 * reads back as v. */
static int
digits_up(double v, char *dig, int *x)
{
	char t[48];
	int p = (int)strlen(dig), i;

	for (i = p - 1; i >= 0 && dig[i] == '9'; i--)
		dig[i] = '0';
	if (i < 0) {
		memmove(dig + 1, dig, (size_t)p);
		dig[0] = '1';
		dig[p] = '\0';       /* 99..9 + 1: 100..0, still p digits */
		(*x)++;
	} else {
		dig[i]++;
	}
	snprintf(t, sizeof t, "%c.%se%d", dig[0], dig + 1, *x);
	return strtod(t, NULL) == v;
}

size_t
kx_format_double(double v, char *buf)
{
	char dig[24], alt[24], *o = buf;
	int lo = 1, hi = 17, x = 0, ax, nd, mid, xa, e2;

	if (isnan(v))
		return (size_t)(stpcpy(buf, "nan") - buf);
	if (isinf(v))
		return (size_t)(stpcpy(buf, v < 0 ? "-inf" : "inf") - buf);
	if (signbit(v))
		*o++ = '-';
	v = fabs(v);
	if (v == 0.0)
		return (size_t)(stpcpy(o, "0") - buf);
	while (lo < hi) {            /* the least p that reads back */
		mid = (lo + hi) / 2;
		if (digits(v, mid, dig, &x))
			hi = mid;
		else
			lo = mid + 1;
	}
	digits(v, lo, dig, &x);
	if (lo > 1 && frexp(v, &e2) == 0.5 && v > DBL_MIN) {
		/* a power of two: the neighbour above, one digit shorter */
		digits(v, lo - 1, alt, &xa);
		if (digits_up(v, alt, &xa)) {
			memcpy(dig, alt, sizeof alt);
			x = xa;
		}
	}
	nd = (int)strlen(dig);
	while (nd > 1 && dig[nd - 1] == '0')
		dig[--nd] = '\0';
	/* Python's repr() layout: plain for -4 <= x < 16, else d.ddde+XX
	 * (at least two exponent digits); no ".0" on an integer, as the
	 * float32 output prints none */
	if (x >= 0 && x < 16) {
		if (nd <= x + 1) {
			memcpy(o, dig, (size_t)nd);
			memset(o + nd, '0', (size_t)(x + 1 - nd));
			o += x + 1;
		} else {
			memcpy(o, dig, (size_t)x + 1);
			o[x + 1] = '.';
			memcpy(o + x + 2, dig + x + 1, (size_t)(nd - x - 1));
			o += nd + 1;
		}
		*o = '\0';
	} else if (x < 0 && x >= -4) {
		*o++ = '0';
		*o++ = '.';
		memset(o, '0', (size_t)(-x - 1));
		o += -x - 1;
		memcpy(o, dig, (size_t)nd + 1);
		o += nd;
	} else {
		ax = x < 0 ? -x : x;
		*o++ = dig[0];
		if (nd > 1) {
			*o++ = '.';
			memcpy(o, dig + 1, (size_t)nd - 1);
			o += nd - 1;
		}
		o += sprintf(o, "e%c%02d", x < 0 ? '-' : '+', ax);
	}
	return (size_t)(o - buf);
}
