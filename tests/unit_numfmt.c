/* tests/unit_numfmt.c - unit tests: number text: the grammar, the
 * scanners, parsing and shortest printing (numfmt.c). */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "numfmt.h"
#include "unit.h"

static uint64_t rng_state = 0x9E3779B97F4A7C15u;

static uint64_t
rng(void)
{
	/* xorshift64*: fixed seed, so a failure always reproduces */
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545F4914F6CDD1Du;
}

static int
same_float(float a, float b)
{
	return memcmp(&a, &b, sizeof a) == 0;
}

/* The reference grammar (what numfmt accepted before it was made fast):
 * [+-]? digits* ( '.' digits* )? with at least one digit, then
 * ( [eE] [+-]? digits+ )? and nothing else. */
static int
ref_grammar(const char *s, size_t len)
{
	size_t i = 0, digits = 0, ed = 0;

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

/* JSON's number grammar: -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)? */
static int
json_number(const char *s)
{
	if (*s == '-')
		s++;
	if (*s == '0')
		s++;
	else if (*s >= '1' && *s <= '9')
		while (*s >= '0' && *s <= '9')
			s++;
	else
		return 0;
	if (*s == '.') {
		if (!(*++s >= '0' && *s <= '9'))
			return 0;
		while (*s >= '0' && *s <= '9')
			s++;
	}
	if (*s == 'e' || *s == 'E') {
		s++;
		if (*s == '+' || *s == '-')
			s++;
		if (!(*s >= '0' && *s <= '9'))
			return 0;
		while (*s >= '0' && *s <= '9')
			s++;
	}
	return *s == '\0';
}

/* Parse s both ways; 1 when kx_parse_float agrees with strtof (same bits,
 * KX_NUM_RANGE exactly when strtof overflows), 0 otherwise. s must match
 * the grammar. */
static int
parse_agrees(const char *s, size_t len)
{
	float a = 0, b;
	int rc = kx_parse_float(s, len, &a);

	b = strtof(s, NULL);
	if (isinf(b))
		return rc == KX_NUM_RANGE;
	return rc == KX_NUM_OK && same_float(a, b);
}

void
test_numfmt_grammar(void)
{
	static const char *const bad[] = {
		"", "-", "+", ".", "-.", "e5", ".e5", "1e", "1e+", "1e-", "1.5.2",
		"--1", "+-1", " 1", "1 ", "1,5", "1,000", "0x10", "0x1p3", "nan",
		"NaN", "inf", "-inf", "Infinity", "1e5.5", "1_000", "1f", "1.0f",
		"\t1", "1\n", "1e 5", "1ee5", "1d5", "e", "-e1", "1..2", "١",
	};
	static const char *const good[] = {
		"0", "-0", "+0", "1", "+1", "-1", "1.", ".5", "-.5", "007", "1e5",
		"1E5", "1e+5", "1e-5", "1.5e3", "0.000001", "123456789012345678901234567890",
		"1e999999999999999999999999", "0e99999", "-0.0e-0",
	};
	static const char alpha[] = "0123456789.eE+-x, n";
	char buf[16];
	size_t i, j, n;
	int bad_rc = 0, good_rc = 0, disagree = 0;
	float f;

	for (i = 0; i < sizeof bad / sizeof *bad; i++) {
		int rc = kx_parse_float(bad[i], strlen(bad[i]), &f);

		if (rc != (*bad[i] ? KX_NUM_SYNTAX : KX_NUM_EMPTY)) {
			printf("# accepted or misclassified: \"%s\" rc=%d\n", bad[i], rc);
			bad_rc++;
		}
	}
	CHECK(bad_rc == 0);
	for (i = 0; i < sizeof good / sizeof *good; i++) {
		int rc = kx_parse_float(good[i], strlen(good[i]), &f);

		if (rc != KX_NUM_OK && rc != KX_NUM_RANGE) {
			printf("# rejected: \"%s\" rc=%d\n", good[i], rc);
			good_rc++;
		} else if (!parse_agrees(good[i], strlen(good[i]))) {
			printf("# differs from strtof: \"%s\"\n", good[i]);
			good_rc++;
		}
	}
	CHECK(good_rc == 0);
	/* A number that is not NUL-terminated: only len bytes count. */
	CHECK(kx_parse_float("2.5e1junk", 5, &f) == KX_NUM_OK && f == 25.0f);
	CHECK(kx_parse_float("12", 1, &f) == KX_NUM_OK && f == 1.0f);
	/* Random short strings over a small alphabet: same verdict as the
	 * reference grammar, same value as strtof when accepted. */
	for (i = 0; i < 300000; i++) {
		int rc, want;

		n = (size_t)(rng() % 9);
		for (j = 0; j < n; j++)
			buf[j] = alpha[rng() % (sizeof alpha - 1)];
		buf[n] = '\0';
		rc = kx_parse_float(buf, n, &f);
		want = ref_grammar(buf, n);
		if ((rc == KX_NUM_OK || rc == KX_NUM_RANGE) != want ||
		    (n == 0) != (rc == KX_NUM_EMPTY) ||
		    (want && !parse_agrees(buf, n))) {
			if (disagree++ < 5)
				printf("# grammar: \"%s\" rc=%d want %d\n", buf, rc, want);
		}
	}
	CHECK(disagree == 0);
}

/* RFC 8259's number grammar: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)? */
static int
json_number_ref(const char *s, size_t n)
{
	size_t i = 0;

	if (i < n && s[i] == '-')
		i++;
	if (i < n && s[i] == '0')
		i++;
	else if (i < n && s[i] >= '1' && s[i] <= '9')
		while (i < n && s[i] >= '0' && s[i] <= '9')
			i++;
	else
		return 0;
	if (i < n && s[i] == '.') {
		if (++i >= n || s[i] < '0' || s[i] > '9')
			return 0;
		while (i < n && s[i] >= '0' && s[i] <= '9')
			i++;
	}
	if (i < n && (s[i] == 'e' || s[i] == 'E')) {
		i++;
		if (i < n && (s[i] == '+' || s[i] == '-'))
			i++;
		if (i >= n || s[i] < '0' || s[i] > '9')
			return 0;
		while (i < n && s[i] >= '0' && s[i] <= '9')
			i++;
	}
	return i == n;
}

/* kx_scan_floats (the CSV fast path) against splitting at the delimiter
 * and kx_parse_float on each field: random lines over an alphabet with
 * the delimiter, spaces and quotes; whenever the scan takes a line, every
 * field must be a number that kx_parse_float reads to the same bits, and
 * the scan must stop exactly at the line's end or at a byte that is not
 * the delimiter; when every field is a number in range, the scan must
 * take the line. */
void
test_numfmt_scan(void)
{
	static const char alpha[] = "0123456789.eE+-, \"9";
	char line[64];
	float got[4], want[4];
	size_t i, j, n, k, nf;
	int bad = 0, all_ok;
	size_t taken = 0;
	const char *stop, *p, *q, *e;

	for (i = 0; i < 300000; i++) {
		n = (size_t)(rng() % 40);
		for (j = 0; j < n; j++)
			line[j] = alpha[rng() % (sizeof alpha - 1)];
		e = line + n;
		nf = 1 + (size_t)(rng() % 4);
		/* the reference: split at ',' into nf fields, parse each */
		all_ok = 1;
		for (p = line, k = 0; k < nf; k++) {
			q = memchr(p, ',', (size_t)(e - p));
			if (k + 1 < nf && !q) {
				all_ok = 0;
				break;
			}
			if (k + 1 == nf)
				q = memchr(p, ',', (size_t)(e - p)) ? NULL : e;
			if (!q || kx_parse_float(p, (size_t)(q - p), &want[k]) != KX_NUM_OK) {
				all_ok = 0;
				break;
			}
			p = q + 1;
		}
		taken += all_ok;
		stop = kx_scan_floats(line, e, ',', got, nf);
		if (stop && stop != e && *stop == ',')
			stop = NULL;   /* a caller sees a surplus field: not taken */
		if (all_ok != (stop == e) ||
		    (all_ok && memcmp(got, want, nf * sizeof *got) != 0)) {
			if (bad++ < 5)
				printf("# scan: \"%.*s\" fields %zu: ok %d, stop %td\n", (int)n, line, nf,
				       all_ok, stop ? stop - line : -1);
		}
	}
	CHECK(bad == 0);
	CHECK(taken > 1000);   /* the alphabet makes enough good lines */
	/* the JSON variant: a single number takes the text exactly when it is
	 * a JSON number that kx_parse_float reads in range, to the same bits */
	for (i = 0, bad = 0; i < 300000; i++) {
		n = (size_t)(rng() % 10);
		for (j = 0; j < n; j++)
			line[j] = "0123456789.eE+-"[rng() % 15];
		e = line + n;
		all_ok = json_number_ref(line, n) && kx_parse_float(line, n, &want[0]) == KX_NUM_OK;
		stop = kx_scan_json_floats(line, e, got, 1);
		if (all_ok != (stop == e) || (all_ok && memcmp(got, want, sizeof *got) != 0)) {
			if (bad++ < 5)
				printf("# json scan: \"%.*s\": ok %d, stop %td\n", (int)n, line, all_ok,
				       stop ? stop - line : -1);
		}
	}
	CHECK(bad == 0);
	CHECK(kx_scan_json_floats(SPAN("1,-2.5e1]"), got, 2) != NULL && got[1] == -25.0f);
	CHECK(kx_scan_json_floats(SPAN("1,+2"), got, 2) == NULL);
	CHECK(kx_scan_json_floats(SPAN("01"), got, 1) == NULL);
	/* what the scan leaves for the caller to check */
	stop = kx_scan_floats(SPAN("1.5,-2e1\r\n"), ',', got, 2);
	CHECK(stop && *stop == '\r' && got[0] == 1.5f && got[1] == -20.0f);
	CHECK(kx_scan_floats(SPAN("1,,2"), ',', got, 3) == NULL);
	CHECK(kx_scan_floats(SPAN("1, 2"), ',', got, 2) == NULL);
	CHECK(kx_scan_floats(SPAN("1e,2"), ',', got, 2) == NULL);
	CHECK(kx_scan_floats(SPAN("1e39,2"), ',', got, 2) == NULL);
	CHECK(kx_scan_floats(SPAN("1\t2"), '\t', got, 2) != NULL && got[1] == 2.0f);
}

/* The scanners on long lines of up to 16 fields with more bytes after
 * the line, as in the reader's buffer: fields of every shape (%.9g and
 * %.17g of random floats, digit runs of up to 18 with and without a
 * point, leading zeros, signs, a point at either end, an exponent) must
 * come out as kx_parse_float reads each field alone, to the bit, and the
 * scan must stop at the line's end exactly when every field is good (a
 * JSON-lines array: when every field is also a JSON number). */
void
test_numfmt_scan_long(void)
{
	char line[1024], field[64];
	size_t i, j, n, nf, len[16];
	float got[16], want[16];
	int bad = 0, k;
	size_t taken = 0;

	for (i = 0; i < 200000; i++) {
		int all_ok = 1;
		const char *stop, *je;
		nf = 1 + (size_t)(rng() % 16);
		n = 0;
		for (j = 0; j < nf; j++) {
			uint64_t r = rng();
			union { uint32_t u; float f; } v = { (uint32_t)rng() };
			switch (r % 8) {
			case 0: snprintf(field, sizeof field, "%.9g", (double)((float)(rng() % 2000001) / 1e6f - 1.0f)); break;
			case 1: snprintf(field, sizeof field, "%.9g", isfinite(v.f) ? (double)v.f : 1.0); break;
			case 2: snprintf(field, sizeof field, "%.17g", (double)((float)(rng() % 2000001) / 1e6f - 1.0f)); break;
			default: {
				/* sign, digits, point, digits, over an alphabet that
				 * makes every near miss */
				size_t a = (size_t)(rng() % 10), b = (size_t)(rng() % 12), t = 0;
				if (rng() % 4 == 0)
					field[t++] = "-+"[rng() % 2];
				for (k = 0; k < (int)a; k++)
					field[t++] = (char)(rng() % 3 == 0 ? '0' : '0' + rng() % 10);
				if (rng() % 3)
					field[t++] = '.';
				for (k = 0; k < (int)b; k++)
					field[t++] = (char)('0' + rng() % 10);
				if (rng() % 16 == 0)
					field[t++] = "eE."[rng() % 3];
				if (rng() % 32 == 0)
					field[t++] = '5';
				field[t] = '\0';
			}
			}
			len[j] = strlen(field);
			memcpy(line + n, field, len[j]);
			n += len[j];
			if (j + 1 < nf)
				line[n++] = ',';
		}
		memcpy(line + n, "\n0123456789012345678901234567890", 32);  /* what follows a line */
		for (j = 0, je = line; j < nf; j++) {
			if (kx_parse_float(je, len[j], &want[j]) != KX_NUM_OK)
				all_ok = 0;
			je += len[j] + 1;
		}
		taken += all_ok;
		stop = kx_scan_floats(line, line + n + 32, ',', got, nf);
		if (all_ok != (stop == line + n) || (all_ok && memcmp(got, want, nf * sizeof *got) != 0)) {
			if (bad++ < 5)
				printf("# long scan: \"%.*s\": ok %d, stop %td\n", (int)n, line, all_ok,
				       stop ? stop - line : -1);
		}
		/* the same fields as a JSON-lines array */
		if (all_ok) {
			int json_ok = 1;
			for (j = 0, je = line; j < nf; j++) {
				json_ok &= json_number_ref(je, len[j]);
				je += len[j] + 1;
			}
			stop = kx_scan_json_floats(line, line + n + 32, got, nf);
			if (json_ok != (stop == line + n) ||
			    (json_ok && memcmp(got, want, nf * sizeof *got) != 0)) {
				if (bad++ < 5)
					printf("# long json scan: \"%.*s\": ok %d, stop %td\n", (int)n, line,
					       json_ok, stop ? stop - line : -1);
			}
		}
	}
	CHECK(bad == 0);
	CHECK(taken > 10000);
}

/* Change the last mantissa digit of a %e string by +1 or -1 (with carry),
 * to land just above or below an exact decimal. */
static void
nudge_last_digit(char *s, int up)
{
	char *d = strchr(s, 'e') - 1;

	for (; d >= s; d--) {
		if (*d == '.')
			continue;
		if (*d < '0' || *d > '9')
			return;
		if (up ? *d != '9' : *d != '0') {
			*d = (char)(*d + (up ? 1 : -1));
			return;
		}
		*d = up ? '0' : '9';
	}
}

/* One random decimal string of the given kind into b (at least 200
 * bytes); returns its length. */
static size_t
random_decimal(char *b, int kind)
{
	size_t n = 0;
	int il, fl, i;
	uint32_t u;
	float f;

	switch (kind) {
	case 0: /* random digits, lengths and exponents */
		if (rng() % 3 == 0)
			b[n++] = rng() % 2 ? '-' : '+';
		il = (int)(rng() % 12);
		fl = (int)(rng() % 12);
		if (rng() % 8 == 0)
			il = (int)(rng() % 32);
		if (rng() % 8 == 0)
			fl = (int)(rng() % 32);
		if (il + fl == 0)
			il = 1;
		for (i = 0; i < il; i++)
			b[n++] = (char)('0' + rng() % 10);
		if (fl || rng() % 4 == 0) {
			b[n++] = '.';
			for (i = 0; i < fl; i++)
				b[n++] = (char)('0' + rng() % 10);
		}
		if (rng() % 2) {
			b[n++] = rng() % 2 ? 'e' : 'E';
			n += (size_t)sprintf(b + n, "%s%d", rng() % 2 ? "-" : "+",
			    (int)(rng() % 70));
		}
		break;
	case 1: /* halfway between two floats, exactly or nearly */
	case 2: /* ... among small and subnormal floats */
		u = (uint32_t)rng() & (kind == 1 ? 0x7fffffffu : 0x00ffffffu);
		if (u >= 0x7f7fffffu)
			u = 0x7f7ffffeu;
		memcpy(&f, &u, sizeof f);
		{
			/* the midpoint has 25 significant bits: exact in double,
			 * and glibc prints it exactly with enough digits */
			double mid = ((double)f + (double)nextafterf(f, INFINITY)) / 2;
			int d = rng() % 4 == 0 ? 120 : 5 + (int)(rng() % 26);

			n = (size_t)sprintf(b, "%.*e", d, mid);
			i = (int)(rng() % 3);
			if (i)
				nudge_last_digit(b, i == 1);
		}
		break;
	case 3: /* huge and tiny exponents, zeros */
		il = 1 + (int)(rng() % 5);
		for (i = 0; i < il; i++)
			b[n++] = rng() % 4 ? (char)('0' + rng() % 10) : '0';
		n += (size_t)sprintf(b + n, "e%s%llu", rng() % 2 ? "-" : "",
		    (unsigned long long)(rng() % (rng() % 2 ? 100 : 100000000000ull)));
		break;
	case 4: /* what programs print: %.Ng of a random float */
		u = (uint32_t)rng();
		memcpy(&f, &u, sizeof f);
		if (!isfinite(f))
			f = 0.5f;
		n = (size_t)sprintf(b, "%.*g", 1 + (int)(rng() % 12), (double)f);
		break;
	default: /* 30 to 70 digit mantissas, runs of 0s and 9s */
		il = (int)(rng() % 3);
		fl = 28 + (int)(rng() % 40);
		if (rng() % 2)
			b[n++] = '-';
		for (i = 0; i < il; i++)
			b[n++] = (char)('0' + rng() % 10);
		b[n++] = '.';
		for (i = 0; i < fl; i++)
			b[n++] = rng() % 5 == 0 ? (char)('0' + rng() % 10) :
			    (i % 2 ? '9' : '0');
		n += (size_t)sprintf(b + n, "e%d", (int)(rng() % 90) - 45);
		break;
	}
	b[n] = '\0';
	return n;
}

void
test_numfmt_parse(void)
{
	static const char *const edge[] = {
		/* around the smallest subnormal, half of it, and FLT_MAX */
		"1.401298464324817e-45", "7.006492321624085e-46",
		"7.006492321624086e-46", "7.0064923216240854e-46",
		"7.00649232162408535461864791644958065640130970938257885878534141944895541342930300743319094181060791015625e-46",
		"7.00649232162408535461864791644958065640130970938257885878534141944895541342930300743319094181060791015626e-46",
		"1.1754942807573643e-38", "1.1754943508222875e-38",
		"3.4028234663852886e38", "3.4028235677973366e38", "3.4028235677973367e38",
		"340282356779733661637539395458142568448", "340282356779733661637539395458142568447",
		"1e38", "1e39", "1e-45", "1e-46", "1e-400", "1e400",
		"16777216", "16777217", "16777217.000000000000000000001", "16777218",
		"0.1", "0.2", "0.3", "3.14159265358979323846264338327950288",
		"1.00000005960464477539062500000000000000000000000000001",
		"1.000000059604644775390625", "1.000000178813934326171875",
		"9999999999999999999", "99999999999999999999", "18446744073709551615",
		"18446744073709551616", "0.000000000000000000000000000000000000000000001",
	};
	char b[256], *big;
	size_t i, n, len;
	long cases = 0;
	int fails = 0;
	float f;

	for (i = 0; i < sizeof edge / sizeof *edge; i++) {
		if (!parse_agrees(edge[i], strlen(edge[i])) && fails++ < 5)
			printf("# parse differs from strtof: %s\n", edge[i]);
	}
	CHECK(fails == 0);
	/* The sign of zero survives. */
	CHECK(kx_parse_float("-0", 2, &f) == KX_NUM_OK && f == 0 && signbit(f));
	CHECK(kx_parse_float("-1e-60", 6, &f) == KX_NUM_OK && f == 0 && signbit(f));
	CHECK(kx_parse_float("1e39", 4, &f) == KX_NUM_RANGE);
	CHECK(kx_parse_float("-1e39", 5, &f) == KX_NUM_RANGE);
	/* on an error the output is left alone */
	f = 42.0f;
	CHECK(kx_parse_float("1e39", 4, &f) == KX_NUM_RANGE && f == 42.0f);
	CHECK(kx_parse_float("340282356779733661637539395458142568448.0000000000000000001", 59, &f)
	    == KX_NUM_RANGE && f == 42.0f);
	CHECK(kx_parse_float("1x", 2, &f) == KX_NUM_SYNTAX && f == 42.0f);
	CHECK(kx_parse_float("", 0, &f) == KX_NUM_EMPTY && f == 42.0f);

	/* A very long number (longer than any buffer): 1, 5000 zeros, 1 after
	 * the point, then digits; and the same shifted by the exponent. */
	len = 12000;
	big = malloc(len + 16);
	CHECK(big != NULL);
	if (big) {
		memset(big, '0', len);
		big[0] = '1';
		big[5001] = '.';
		big[5002] = '5';
		big[11999] = '1';
		memcpy(big + len, "e-5000", 7);
		CHECK(parse_agrees(big, len + 6));
		memcpy(big + len, "e-5040", 7);
		CHECK(parse_agrees(big, len + 6));
		big[0] = '0';
		memcpy(big + len, "e-4950", 7);
		CHECK(parse_agrees(big, len + 6));
		free(big);
	}

	/* Millions of random strings of every kind against strtof. */
	fails = 0;
	for (i = 0; i < 2000000; i++) {
		n = random_decimal(b, (int)(i % 6));
		cases++;
		if (!parse_agrees(b, n) && fails++ < 10)
			printf("# parse differs from strtof: %s\n", b);
	}
	CHECK(fails == 0);

	/* The double fast path (up to 16 digits, 10^-22 to 10^22): floats
	 * and the midpoints between them, printed with 6 to 17 digits, exactly
	 * and nudged up or down by one unit in the last digit. */
	fails = 0;
	for (i = 0; i < 600000; i++) {
		uint32_t u = 0x1b000000u + (uint32_t)(rng() % (0x64000000u - 0x1b000000u));
		double v;
		int d = 5 + (int)(rng() % 12), k = (int)(rng() % 3);

		memcpy(&f, &u, sizeof f);
		v = rng() % 2 ? ((double)f + (double)nextafterf(f, INFINITY)) / 2 : (double)f;
		n = (size_t)sprintf(b, "%.*e", d, rng() % 2 ? -v : v);
		if (k)
			nudge_last_digit(b, k == 1);
		cases++;
		if (!parse_agrees(b, n) && fails++ < 10)
			printf("# parse differs from strtof: %s\n", b);
	}
	CHECK(fails == 0);

	printf("# parse: %ld random cases agree with strtof (speed: bench/floors)\n", cases);
}

/* Significant digits of a kx_format_float string (no leading or trailing
 * zeros: those are not significant). */
static int
sig_digits(const char *s)
{
	char d[32];
	int n = 0, a = 0;

	for (; *s && *s != 'e'; s++)
		if (*s >= '0' && *s <= '9')
			d[n++] = *s;
	while (a < n && d[a] == '0')
		a++;
	while (n > a && d[n - 1] == '0')
		n--;
	return n - a;
}

void
test_numfmt_format(void)
{
	static const struct { float f; const char *s; } fixed[] = {
		{ 0.0f, "0" }, { 3.0f, "3" }, { 100.0f, "100" }, { 0.1f, "0.1" },
		{ -2.5f, "-2.5" }, { 1e20f, "1e+20" }, { 1.5e-7f, "1.5e-07" },
		{ 123456792.0f, "123456790" }, { 1e9f, "1e+09" }, { 0.0001f, "0.0001" },
		{ 1e-5f, "1e-05" }, { 16777216.0f, "16777216" }, { 3.4028235e38f, "3.4028235e+38" },
		{ 1.4e-45f, "1e-45" }, { 1.17549435e-38f, "1.1754944e-38" }, { 0.3f, "0.3" },
		{ 2.0f / 3.0f, "0.6666667" }, { 1e10f, "1e+10" }, { -1234.5f, "-1234.5" },
	};
	char b[KX_FLOAT_BUF], c[KX_FLOAT_BUF];
	size_t i;
	long n_rt = 0, n_short = 0, n_prec = 0;
	int fails = 0, p, pr;
	float f, g;
	uint32_t u;

	for (i = 0; i < sizeof fixed / sizeof *fixed; i++) {
		kx_format_float(fixed[i].f, b);
		if (strcmp(b, fixed[i].s) != 0 && fails++ < 5)
			printf("# format %.9g: got %s want %s\n", (double)fixed[i].f, b, fixed[i].s);
	}
	CHECK(fails == 0);
	CHECK(kx_format_float(-0.0f, b) == 2 && strcmp(b, "-0") == 0);
	CHECK(kx_format_float(INFINITY, b) == 3 && strcmp(b, "inf") == 0);
	CHECK(kx_format_float(-INFINITY, b) == 4 && strcmp(b, "-inf") == 0);
	CHECK(kx_format_float(NAN, b) == 3 && strcmp(b, "nan") == 0);
	CHECK(kx_format_float_prec(NAN, 3, b) == 3 && strcmp(b, "nan") == 0);

	/* Random bit patterns: read back exactly (strtof and kx_parse_float),
	 * JSON-valid, returned length right; every 10th also no longer than
	 * the first %.Ng that reads back, with the same digits when as long
	 * (both the nearest). */
	fails = 0;
	for (i = 0; i < 1500000; i++) {
		size_t len;

		u = (uint32_t)rng();
		if (i < 4096)
			u = (uint32_t)i << 20 | (uint32_t)(i & 1);  /* each exponent, edges */
		memcpy(&f, &u, sizeof f);
		if (!isfinite(f))
			continue;
		len = kx_format_float(f, b);
		g = strtof(b, NULL);
		n_rt++;
		if (len != strlen(b) || !same_float(f, g) || !json_number(b) ||
		    kx_parse_float(b, len, &g) != KX_NUM_OK || !same_float(f, g)) {
			if (fails++ < 10)
				printf("# format %08x -> %s does not read back\n", (unsigned)u, b);
			continue;
		}
		if (i % 10)
			continue;
		for (p = 1; p <= 9; p++) {
			snprintf(c, sizeof c, "%.*g", p, (double)f);
			if (strtof(c, NULL) == f)
				break;
		}
		n_short++;
		if (sig_digits(b) > p || (sig_digits(b) == p && strtod(b, NULL) != strtod(c, NULL))) {
			if (fails++ < 10)
				printf("# format %08x -> %s, but %%.%dg gives %s\n", (unsigned)u, b, p, c);
		}
	}
	CHECK(fails == 0);

	/* kx_format_float_prec prints what %.*g prints (but "nan" unsigned). */
	fails = 0;
	for (i = 0; i < 300000; i++) {
		u = (uint32_t)rng();
		memcpy(&f, &u, sizeof f);
		if (isnan(f))
			continue;
		pr = 1 + (int)(i % 9);
		kx_format_float_prec(f, pr, b);
		snprintf(c, sizeof c, "%.*g", pr, (double)f);
		n_prec++;
		if (strcmp(b, c) != 0 && fails++ < 10)
			printf("# format_prec %08x %d: got %s want %s\n", (unsigned)u, pr, b, c);
	}
	CHECK(fails == 0);

	printf("# format: %ld read back, %ld checked shortest, %ld %%.*g compared (speed: bench/floors)\n",
	    n_rt, n_short, n_prec);
}

