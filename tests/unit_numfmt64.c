/* tests/unit_numfmt64.c - unit tests: float64 number text (numfmt64.c)
 * against Python's repr() (tests/fixtures/f64io/repr_table.txt, written
 * by make_repr_table.py beside it), and by its own properties. */
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "numfmt.h"
#include "unit.h"

static double
from_bits(uint64_t u)
{
	double v;

	memcpy(&v, &u, sizeof v);
	return v;
}

static uint64_t
to_bits(double v)
{
	uint64_t u;

	memcpy(&u, &v, sizeof u);
	return u;
}

/* Each double of the table prints as its repr() (less a trailing ".0")
 * and that text reads back to its bits. */
void
test_numfmt64_repr(const char *srcdir)
{
	char path[4096], line[128], want[64], buf[KX_DOUBLE_BUF];
	unsigned long long u;
	size_t n = 0, bad_fmt = 0, bad_parse = 0, len;
	double v, back;
	FILE *f;

	snprintf(path, sizeof path, "%s/tests/fixtures/f64io/repr_table.txt", srcdir);
	f = fopen(path, "r");
	CHECK(f != NULL);
	if (!f)
		return;
	while (fgets(line, sizeof line, f)) {
		if (sscanf(line, "%llx %63s", &u, want) != 2)
			continue;
		n++;
		len = strlen(want);
		if (len > 2 && strcmp(want + len - 2, ".0") == 0)
			want[len - 2] = '\0';
		v = from_bits((uint64_t)u);
		kx_format_double(v, buf);
		if (strcmp(buf, want) != 0 && bad_fmt++ < 5)
			printf("# format %016llx: kanx %s, repr %s\n", u, buf, want);
		if ((kx_parse_double(want, strlen(want), &back) != KX_NUM_OK ||
		     to_bits(back) != (uint64_t)u) && bad_parse++ < 5)
			printf("# parse %s: not %016llx\n", want, u);
	}
	fclose(f);
	CHECK(n > 10000);
	CHECK(bad_fmt == 0);
	CHECK(bad_parse == 0);
}

/* The statuses, and text beyond float32 that is a double. */
void
test_numfmt64_parse(void)
{
	double v = 0.0;
	char buf[KX_DOUBLE_BUF], big[700];

	CHECK(kx_parse_double("3e39", 4, &v) == KX_NUM_OK && v == 3e39);
	CHECK(kx_parse_double("1e-310", 6, &v) == KX_NUM_OK && v == 1e-310);
	CHECK(kx_parse_double("0.1", 3, &v) == KX_NUM_OK && v == 0.1);
	CHECK(kx_parse_double("-0", 2, &v) == KX_NUM_OK && v == 0.0 && signbit(v));
	CHECK(kx_parse_double("+.5", 3, &v) == KX_NUM_OK && v == 0.5);
	CHECK(kx_parse_double("1e309", 5, &v) == KX_NUM_RANGE);
	CHECK(kx_parse_double("-1.8e308", 8, &v) == KX_NUM_RANGE);
	CHECK(kx_parse_double("1e-400", 6, &v) == KX_NUM_OK && v == 0.0);
	CHECK(kx_parse_double("", 0, &v) == KX_NUM_EMPTY);
	CHECK(kx_parse_double("nan", 3, &v) == KX_NUM_SYNTAX);
	CHECK(kx_parse_double("inf", 3, &v) == KX_NUM_SYNTAX);
	CHECK(kx_parse_double("0x1p3", 5, &v) == KX_NUM_SYNTAX);
	CHECK(kx_parse_double("1 ", 2, &v) == KX_NUM_SYNTAX);
	CHECK(kx_parse_double("1,5", 3, &v) == KX_NUM_SYNTAX);
	CHECK(kx_parse_double("1e99x", 5, &v) == KX_NUM_SYNTAX);
	/* a long number (past the stack copy) */
	memset(big, '0', sizeof big);
	big[0] = '1';
	big[1] = '.';
	big[sizeof big - 1] = '7';
	CHECK(kx_parse_double(big, sizeof big, &v) == KX_NUM_OK && v == 1.0);
	/* not NUL-terminated: only [s, s+len) is read */
	CHECK(kx_parse_double("2.5e1", 3, &v) == KX_NUM_OK && v == 2.5);
	kx_format_double(-0.0, buf);
	CHECK(strcmp(buf, "-0") == 0);
	kx_format_double(NAN, buf);
	CHECK(strcmp(buf, "nan") == 0);
	kx_format_double(-INFINITY, buf);
	CHECK(strcmp(buf, "-inf") == 0);
}

/* Random bit patterns: the text reads back, and no shorter %.*e does. */
void
test_numfmt64_roundtrip(void)
{
	uint64_t s = 0x243F6A8885A308D3u;
	char buf[KX_DOUBLE_BUF], t[40];
	size_t i, bad = 0, longer = 0;
	int nd, p;
	double v;

	for (i = 0; i < 200000; i++) {
		s ^= s << 13;
		s ^= s >> 7;
		s ^= s << 17;
		v = from_bits(s);
		if (!isfinite(v))
			continue;
		kx_format_double(v, buf);
		if (to_bits(strtod(buf, NULL)) != s && bad++ < 5)
			printf("# %016llx prints %s\n", (unsigned long long)s, buf);
		/* significant digits printed: the mantissa's digits less
		 * leading and trailing zeros */
		nd = 0;
		for (p = 0; buf[p] && buf[p] != 'e'; p++)
			if (buf[p] >= '0' && buf[p] <= '9' && (nd || buf[p] != '0'))
				t[nd++] = buf[p];
		while (nd > 0 && t[nd - 1] == '0')
			nd--;
		if (nd > 1) {
			snprintf(t, sizeof t, "%.*e", nd - 2, v);
			if (strtod(t, NULL) == v && longer++ < 5)
				printf("# %016llx prints %s, %s is shorter\n", (unsigned long long)s, buf, t);
		}
	}
	CHECK(bad == 0);
	CHECK(longer == 0);
}
