/* numfmt.c - number text (simple, correct version; see numfmt.h). */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "numfmt.h"

/* Check the JSON number grammar (plus an optional '+'). */
static int
grammar_ok(const char *s, size_t len)
{
	size_t i = 0, digits = 0;

	if (i < len && (s[i] == '-' || s[i] == '+'))
		i++;
	while (i < len && s[i] >= '0' && s[i] <= '9')
		i++, digits++;
	if (i < len && s[i] == '.') {
		i++;
		while (i < len && s[i] >= '0' && s[i] <= '9')
			i++, digits++;
	}
	if (digits == 0)
		return 0;
	if (i < len && (s[i] == 'e' || s[i] == 'E')) {
		size_t ed = 0;
		i++;
		if (i < len && (s[i] == '-' || s[i] == '+'))
			i++;
		while (i < len && s[i] >= '0' && s[i] <= '9')
			i++, ed++;
		if (ed == 0)
			return 0;
	}
	return i == len;
}

int
kx_parse_float(const char *s, size_t len, float *out)
{
	char buf[128];
	char *end;
	float v;

	if (len == 0)
		return KX_NUM_EMPTY;
	if (!grammar_ok(s, len))
		return KX_NUM_SYNTAX;
	if (len < sizeof buf) {
		memcpy(buf, s, len);
		buf[len] = '\0';
		errno = 0;
		v = strtof(buf, &end);
	} else {
		char *big = malloc(len + 1);
		if (!big)
			return KX_NUM_SYNTAX;
		memcpy(big, s, len);
		big[len] = '\0';
		errno = 0;
		v = strtof(big, &end);
		free(big);
	}
	if (isinf(v))
		return KX_NUM_RANGE;
	*out = v;
	return KX_NUM_OK;
}

size_t
kx_format_float(float f, char *buf)
{
	int p, n = 0;

	if (isnan(f))
		return (size_t)snprintf(buf, KX_FLOAT_BUF, "nan");
	if (isinf(f))
		return (size_t)snprintf(buf, KX_FLOAT_BUF, f < 0 ? "-inf" : "inf");
	for (p = 1; p <= 9; p++) {
		n = snprintf(buf, KX_FLOAT_BUF, "%.*g", p, (double)f);
		if (strtof(buf, NULL) == f)
			break;
	}
	return (size_t)n;
}

size_t
kx_format_float_prec(float f, int prec, char *buf)
{
	if (prec < 1)
		prec = 1;
	if (prec > 9)
		prec = 9;
	return (size_t)snprintf(buf, KX_FLOAT_BUF, "%.*g", prec, (double)f);
}
