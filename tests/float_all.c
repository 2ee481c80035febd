/* tests/float_all.c - the exhaustive check of src/numfmt.c: every one of
 * the 2^32 float32 bit patterns. Long-running (tens of minutes per thread),
 * so not part of make check; run it with `make check-floats` or
 *
 *     tests/float_all [THREADS [FIRST LAST]]     (bit patterns, hex)
 *
 * For each finite float f, kx_format_float(f) must
 *   - be valid JSON number text, of the length returned;
 *   - read back exactly: strtof and kx_parse_float give f's bits;
 *   - be shortest: with D significant digits, no decimal of D-1 digits
 *     reads back as f (the integers around f / 10^(e+1) are tried);
 *   - be nearest: of D±1 at the same scale, none that reads back as f is
 *     closer to f's exact value (compared in exact big-integer
 *     arithmetic), and an exact tie is broken to an even last digit.
 * Before that, the tables and floor-log formulas inside numfmt.c are
 * checked in exact arithmetic. It also reports how often the slow paths
 * (snprintf for printing) were needed. Exit status 0 when all is well. */
#define KX_NUMFMT_STATS
#include "../src/numfmt.c"

#include <pthread.h>
#include <time.h>

/* ---- a small unsigned big integer, enough for 5^65 * 2^300 ---------- */

#define BN_LIMBS 24
struct bn { uint32_t d[BN_LIMBS]; };     /* little endian */

static void
bn_set(struct bn *a, uint64_t v)
{
	memset(a, 0, sizeof *a);
	a->d[0] = (uint32_t)v;
	a->d[1] = (uint32_t)(v >> 32);
}

static void
bn_mul_small(struct bn *a, uint32_t m)
{
	uint64_t c = 0;
	int i;

	for (i = 0; i < BN_LIMBS; i++) {
		c += (uint64_t)a->d[i] * m;
		a->d[i] = (uint32_t)c;
		c >>= 32;
	}
	if (c) {
		fprintf(stderr, "float_all: bignum overflow\n");
		exit(2);
	}
}

static void
bn_pow5(struct bn *a, int p)
{
	for (; p > 0; p--)
		bn_mul_small(a, 5);
}

static int
bn_bitlen(const struct bn *a)
{
	int i, b;

	for (i = BN_LIMBS - 1; i >= 0; i--)
		if (a->d[i])
			for (b = 31; b >= 0; b--)
				if (a->d[i] >> b & 1)
					return 32 * i + b + 1;
	return 0;
}

static void
bn_shl(struct bn *a, int s)
{
	int w = s / 32, b = s % 32, i;

	if (bn_bitlen(a) + s > 32 * BN_LIMBS) {
		fprintf(stderr, "float_all: bignum overflow\n");
		exit(2);
	}
	for (i = BN_LIMBS - 1; i >= 0; i--) {
		uint32_t hi = i - w >= 0 ? a->d[i - w] : 0;
		uint32_t lo = i - w - 1 >= 0 ? a->d[i - w - 1] : 0;

		a->d[i] = b ? hi << b | lo >> (32 - b) : hi;
	}
}

static int
bn_cmp(const struct bn *a, const struct bn *b)
{
	int i;

	for (i = BN_LIMBS - 1; i >= 0; i--)
		if (a->d[i] != b->d[i])
			return a->d[i] < b->d[i] ? -1 : 1;
	return 0;
}

/* bits [at, at+64) of a */
static uint64_t
bn_bits64(const struct bn *a, int at)
{
	uint64_t v = 0;
	int i;

	for (i = 63; i >= 0; i--) {
		int pos = at + i;

		v = v << 1 | (pos >= 0 ? (uint64_t)(a->d[pos / 32] >> (pos % 32) & 1) : 0);
	}
	return v;
}

static void
bn_from128(struct bn *a, uint64_t hi, uint64_t lo)
{
	bn_set(a, lo);
	a->d[2] = (uint32_t)hi;
	a->d[3] = (uint32_t)(hi >> 32);
}

static void
bn_sub1(struct bn *a)
{
	int i;

	for (i = 0; i < BN_LIMBS; i++)
		if (a->d[i]-- != 0)
			break;
}

/* ---- the tables inside numfmt.c, in exact arithmetic ---------------- */

static int
check_tables(void)
{
	struct bn a, b, c;
	int q, e, bad = 0;

	for (q = POW5_MIN; q <= POW5_MAX; q++) {
		const uint64_t *t = pow5_128[q - POW5_MIN];
		int p = q < 0 ? -q : q, z, len;

		bn_set(&a, 1);
		bn_pow5(&a, p);
		z = bn_bitlen(&a);
		/* floor(log2 5^q) and floor(log2 10^q) */
		if (floor_log2_pow5(q) != (q >= 0 ? z - 1 : -z) ||
		    floor_log2_pow10(q) != floor_log2_pow5(q) + q) {
			printf("floor_log2_pow5/10(%d) wrong\n", q);
			bad++;
		}
		if (q >= 0) {
			len = z;
			if (bn_bits64(&a, len - 64) != t[0] || bn_bits64(&a, len - 128) != t[1]) {
				printf("pow5_128[%d] is not 5^%d truncated\n", q, q);
				bad++;
			}
			continue;
		}
		/* q < 0: c = floor(2^b / 5^p) + 1, for q < -27 then c >> (z+1) */
		bn_from128(&c, t[0], t[1]);
		if (q >= -27) {
			/* (c - 1) 5^p <= 2^b < c 5^p with b = z + 127 */
			struct bn lo = c, hi = c, two;

			bn_sub1(&lo);
			for (e = 0; e < p; e++) {
				bn_mul_small(&lo, 5);
				bn_mul_small(&hi, 5);
			}
			bn_set(&two, 1);
			bn_shl(&two, z + 127);
			if (bn_cmp(&lo, &two) > 0 || bn_cmp(&two, &hi) >= 0) {
				printf("pow5_128[%d] is not 2^b/5^%d rounded up\n", q, p);
				bad++;
			}
		} else {
			/* (c 2^t - 1) 5^p <= 2^b < ((c+1) 2^t - 1) 5^p,
			 * b = 2z + 128, t = z + 1 */
			struct bn lo = c, hi = c, two, one;

			bn_shl(&lo, z + 1);
			bn_sub1(&lo);
			bn_set(&one, 1);
			bn_shl(&one, z + 1);
			/* hi = (c + 1) 2^t - 1 = c 2^t + 2^t - 1 */
			bn_shl(&hi, z + 1);
			{
				uint64_t carry = 0;
				int i;

				bn_sub1(&one);
				for (i = 0; i < BN_LIMBS; i++) {
					carry += (uint64_t)hi.d[i] + one.d[i];
					hi.d[i] = (uint32_t)carry;
					carry >>= 32;
				}
			}
			bn_pow5(&lo, p);
			bn_pow5(&hi, p);
			bn_set(&two, 1);
			bn_shl(&two, 2 * z + 128);
			if (bn_cmp(&lo, &two) > 0 || bn_cmp(&two, &hi) >= 0) {
				printf("pow5_128[%d] is not 2^b/5^%d rounded up and truncated\n", q, p);
				bad++;
			}
		}
	}
	/* floor(e log10 2): the number of decimal digits of 2^|e|, less one */
	for (e = -300; e <= 300; e++) {
		int d = 0, want, ae = e < 0 ? -e : e;

		bn_set(&a, 1);
		bn_shl(&a, ae);
		bn_set(&b, 1);
		while (bn_cmp(&b, &a) <= 0) {
			bn_mul_small(&b, 10);
			d++;
		}
		/* 10^(d-1) <= 2^ae < 10^d */
		want = e >= 0 ? d - 1 : (ae == 0 ? 0 : -d);
		if (floor_log10_pow2(e) != want) {
			printf("floor_log10_pow2(%d) = %d, want %d\n", e, floor_log10_pow2(e), want);
			bad++;
		}
	}
	return bad;
}

/* sign of 2 m 2^e2 - n 10^e, all exact (m, n > 0) */
static int
cmp_twice(uint32_t m, int e2, uint64_t n, int e)
{
	struct bn a, b;
	int s2a = e2 + 1, s2b = e, s5 = e, lo;

	bn_set(&a, m);
	bn_set(&b, n);
	lo = s2a < s2b ? s2a : s2b;
	bn_shl(&a, s2a - lo);
	bn_shl(&b, s2b - lo);
	if (s5 >= 0)
		bn_pow5(&b, s5);
	else
		bn_pow5(&a, -s5);
	return bn_cmp(&a, &b);
}

/* ---- the per-float checks ------------------------------------------ */

struct job {
	uint64_t first, last;           /* bit patterns, inclusive */
	uint64_t done, fails;
	uint64_t close;                 /* candidates the exact oracles had to judge */
};

static int
json_ok(const char *s)
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
	if (*s == 'e') {
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

/* does "n e exp" read back as the float with bits u? */
static int
reads_back(uint64_t n, int exp, int neg, uint32_t u)
{
	char t[48];
	float g;
	uint32_t v;

	snprintf(t, sizeof t, "%s%llue%d", neg ? "-" : "", (unsigned long long)n, exp);
	g = strtof(t, NULL);
	memcpy(&v, &g, sizeof v);
	return v == u;
}

/* Does c * 10^ex (pex = 10^ex as a double) read back as f, whose
 * interval is [v - hd, v + hu]? Clear cases in double arithmetic, close
 * ones (within M of an end) by strtof. */
static int
inside(struct job *j, double v, double hd, double hu, double M, uint64_t c, int ex,
    double pex, int neg, uint32_t u)
{
	double d = (double)c * pex - v, h = d >= 0 ? hu : hd, ad = fabs(d);

	if (ad < h - M)
		return 1;
	if (ad > h + M)
		return 0;
	j->close++;
	return reads_back(c, ex, neg, u);
}

static pthread_mutex_t print_lock = PTHREAD_MUTEX_INITIALIZER;

static void
fail(struct job *j, uint32_t u, const char *s, const char *why)
{
	if (j->fails++ < 20) {
		pthread_mutex_lock(&print_lock);
		printf("FAIL %08x \"%s\": %s\n", (unsigned)u, s, why);
		fflush(stdout);
		pthread_mutex_unlock(&print_lock);
	}
}

static void
check_one(struct job *j, uint32_t u)
{
	char s[KX_FLOAT_BUF];
	const char *p;
	float f, g;
	uint32_t v, m;
	uint64_t dn = 0;
	int nd = 0, e = 0, neg, e2, fracd = 0, seen_point = 0;
	size_t len;

	memcpy(&f, &u, sizeof f);
	if (!isfinite(f))
		return;
	len = kx_format_float(f, s);
	if (len != strlen(s) || len >= KX_FLOAT_BUF || !json_ok(s)) {
		fail(j, u, s, "bad text or length");
		return;
	}
	g = strtof(s, NULL);
	memcpy(&v, &g, sizeof v);
	if (v != u) {
		fail(j, u, s, "strtof reads another float");
		return;
	}
	if (kx_parse_float(s, len, &g) != KX_NUM_OK || (memcpy(&v, &g, sizeof v), v != u)) {
		fail(j, u, s, "kx_parse_float reads another float");
		return;
	}
	if (f == 0)
		return;
	/* digits D and exponent e: |f| ~ D * 10^e, D without trailing zeros */
	neg = s[0] == '-';
	for (p = s + neg; *p && *p != 'e'; p++) {
		if (*p == '.') {
			seen_point = 1;
			continue;
		}
		if (dn == 0 && *p == '0') {
			fracd += seen_point;
			continue;
		}
		dn = dn * 10 + (uint64_t)(*p - '0');
		nd++;
		fracd += seen_point;
	}
	e = -fracd + (*p == 'e' ? atoi(p + 1) : 0);
	while (dn % 10 == 0) {
		dn /= 10;
		nd--;
		e++;
	}
	/* The rounding interval of |f| = x: [x - hd, x + hu] (ends included when
	 * the last mantissa bit is 0). Candidates below are judged in double
	 * arithmetic, whose error (a few units of 2^-53 x) is far inside the
	 * margin M = 2^-40 x; within M of a decision, the exact oracles decide
	 * (strtof for "reads back", big integers for "nearer"). */
	{
		float af = fabsf(f), up = nextafterf(af, INFINITY), dn_ = nextafterf(af, 0.0f);
		double x = (double)af, hd = (x - (double)dn_) / 2;
		double hu = isinf(up) ? hd : ((double)up - x) / 2;
		double M = ldexp(x, -40), pe = pow(10.0, e), p1 = pow(10.0, e + 1);
		double dD = fabs((double)dn * pe - x), dU, dL, r;
		uint32_t w = u & 0x7fffffff;
		int k;

		/* shortest: the integers around x / 10^(e+1), at that scale */
		if (nd > 1) {
			r = nearbyint(x / p1);
			for (k = -1; k <= 1; k++) {
				if (r + k <= 0)
					continue;
				if (inside(j, x, hd, hu, M, (uint64_t)(r + k), e + 1, p1, neg, u)) {
					fail(j, u, s, "a shorter decimal reads back");
					return;
				}
			}
		}
		/* nearest: D+1 and D-1 at the same scale */
		if (w >> 23) {
			m = (w & 0x7fffff) | 0x800000;
			e2 = (int)(w >> 23) - 150;
		} else {
			m = w;
			e2 = -149;
		}
		dU = fabs((double)(dn + 1) * pe - x);
		if (dU < dD - M) {
			if (inside(j, x, hd, hu, M, dn + 1, e, pe, neg, u))
				fail(j, u, s, "D+1 reads back and is nearer");
		} else if (dU <= dD + M) {
			j->close++;
			if (reads_back(dn + 1, e, neg, u)) {
				int c = cmp_twice(m, e2, 2 * dn + 1, e);

				if (c > 0 || (c == 0 && (dn & 1)))
					fail(j, u, s, "D+1 is nearer (or an even tie)");
			}
		}
		if (dn > 1) {
			dL = fabs((double)(dn - 1) * pe - x);
			if (dL < dD - M) {
				if (inside(j, x, hd, hu, M, dn - 1, e, pe, neg, u))
					fail(j, u, s, "D-1 reads back and is nearer");
			} else if (dL <= dD + M) {
				j->close++;
				if (reads_back(dn - 1, e, neg, u)) {
					int c = cmp_twice(m, e2, 2 * dn - 1, e);

					if (c < 0 || (c == 0 && (dn & 1)))
						fail(j, u, s, "D-1 is nearer (or an even tie)");
				}
			}
		}
	}
}

static void *
run(void *arg)
{
	struct job *j = arg;
	uint64_t b;

	for (b = j->first; b <= j->last; b++) {
		check_one(j, (uint32_t)b);
		j->done++;
	}
	return NULL;
}

int
main(int argc, char **argv)
{
	enum { MAXT = 64 };
	struct job jobs[MAXT];
	pthread_t th[MAXT];
	uint64_t first = 0, last = 0xffffffffu, n, fails = 0, done = 0, close = 0;
	int nt = argc > 1 ? atoi(argv[1]) : 1, i, bad;
	struct timespec t0, t1;
	double secs;

	if (nt < 1 || nt > MAXT) {
		fprintf(stderr, "usage: float_all [THREADS [FIRST LAST]]\n");
		return 2;
	}
	if (argc > 3) {
		first = strtoull(argv[2], NULL, 16);
		last = strtoull(argv[3], NULL, 16);
		if (last > 0xffffffffu || first > last) {
			fprintf(stderr, "float_all: bad range\n");
			return 2;
		}
	}
	bad = check_tables();
	printf("tables and floor-log formulas: %s\n", bad ? "WRONG" : "exact");
	clock_gettime(CLOCK_MONOTONIC, &t0);
	n = last - first + 1;
	for (i = 0; i < nt; i++) {
		jobs[i].first = first + n * (uint64_t)i / (uint64_t)nt;
		jobs[i].last = first + n * (uint64_t)(i + 1) / (uint64_t)nt - 1;
		jobs[i].done = jobs[i].fails = jobs[i].close = 0;
		if (pthread_create(&th[i], NULL, run, &jobs[i]) != 0) {
			fprintf(stderr, "float_all: cannot start a thread\n");
			return 2;
		}
	}
	for (i = 0; i < nt; i++) {
		pthread_join(th[i], NULL);
		fails += jobs[i].fails;
		done += jobs[i].done;
		close += jobs[i].close;
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) * 1e-9;
	printf("bit patterns %08llx..%08llx: %llu checked, %llu failures "
	    "(%llu close calls judged exactly); "
	    "%lu printed by the snprintf fallback, %lu parsed by the strtof fallback; "
	    "%.0f s with %d thread%s\n",
	    (unsigned long long)first, (unsigned long long)last,
	    (unsigned long long)done, (unsigned long long)fails, (unsigned long long)close,
	    (unsigned long)stat_format_slow, (unsigned long)stat_parse_slow, secs, nt,
	    nt == 1 ? "" : "s");
	return fails || bad ? 1 : 0;
}
