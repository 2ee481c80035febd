/* tests/unit_shard.c - unit tests: --shard: K/N, the cuts, and the located
 * ranges (shard.c). */
#include <stdlib.h>
#include <string.h>

#include <unistd.h>

#include "err.h"
#include "shard.h"
#include "unit.h"

static const char *const *fake_vars;

/* getenv over fake_vars: "NAME=VALUE" strings, NULL-terminated */
static char *
fake_env(const char *name)
{
	size_t n = strlen(name), i;

	for (i = 0; fake_vars && fake_vars[i]; i++)
		if (strncmp(fake_vars[i], name, n) == 0 && fake_vars[i][n] == '=')
			return (char *)fake_vars[i] + n + 1;
	return NULL;
}

/* Parse arg under the environment vars; 0 when it gave k/n. */
static int
shard_of(const char *arg, const char *const *vars, unsigned long k, unsigned long n)
{
	struct kx_shard sh;
	struct kx_err e;
	int rc;

	fake_vars = vars;
	kx_err_clear(&e);
	rc = kx_shard_parse(arg, fake_env, &sh, &e);
	if (rc == 0 && sh.k == k && sh.n == n)
		return 0;
	printf("# --shard %s: rc %d, %lu/%lu, want %lu/%lu: %s\n", arg, rc, rc ? 0 : sh.k,
	       rc ? 0 : sh.n, k, n, e.msg);
	return -1;
}

/* Parse arg; 0 when it is refused as a usage error whose message holds `has`. */
static int
shard_refused(const char *arg, const char *const *vars, const char *has)
{
	struct kx_shard sh;
	struct kx_err e;

	fake_vars = vars;
	kx_err_clear(&e);
	if (kx_shard_parse(arg, fake_env, &sh, &e) == 0) {
		printf("# --shard %s: accepted as %lu/%lu\n", arg, sh.k, sh.n);
		return -1;
	}
	if (e.code != KX_EXIT_USAGE || !strstr(e.msg, has)) {
		printf("# --shard %s: code %d, message \"%s\" lacks \"%s\"\n", arg, e.code, e.msg, has);
		return -1;
	}
	return 0;
}

void
test_shard_parse(void)
{
	static const char *const none[] = { NULL };
	static const char *const slurm14[] = { "SLURM_ARRAY_TASK_ID=3", "SLURM_ARRAY_TASK_MIN=1",
		"SLURM_ARRAY_TASK_MAX=4", "SLURM_ARRAY_TASK_COUNT=4", "SLURM_ARRAY_TASK_STEP=1", NULL };
	static const char *const slurm03[] = { "SLURM_ARRAY_TASK_ID=0", "SLURM_ARRAY_TASK_MIN=0",
		"SLURM_ARRAY_TASK_MAX=3", "SLURM_ARRAY_TASK_COUNT=4", NULL };
	static const char *const slurm_step[] = { "SLURM_ARRAY_TASK_ID=7", "SLURM_ARRAY_TASK_MIN=1",
		"SLURM_ARRAY_TASK_MAX=10", "SLURM_ARRAY_TASK_STEP=3", "SLURM_ARRAY_TASK_COUNT=4", NULL };
	static const char *const slurm_list[] = { "SLURM_ARRAY_TASK_ID=3", "SLURM_ARRAY_TASK_MIN=1",
		"SLURM_ARRAY_TASK_MAX=7", "SLURM_ARRAY_TASK_COUNT=3", NULL };
	static const char *const slurm_rerun[] = { "SLURM_ARRAY_TASK_ID=3", "SLURM_ARRAY_TASK_MIN=3",
		"SLURM_ARRAY_TASK_MAX=3", "SLURM_ARRAY_TASK_COUNT=1", NULL };
	static const char *const slurm_nomin[] = { "SLURM_ARRAY_TASK_ID=3", NULL };
	static const char *const slurm_bad[] = { "SLURM_ARRAY_TASK_ID=x3", NULL };
	static const char *const sge[] = { "SGE_TASK_ID=2", "SGE_TASK_FIRST=1", "SGE_TASK_LAST=5",
		"SGE_TASK_STEPSIZE=1", NULL };
	static const char *const sge_undef[] = { "SGE_TASK_ID=undefined", "SGE_TASK_FIRST=undefined",
		"SGE_TASK_LAST=undefined", "SGE_TASK_STEPSIZE=undefined", NULL };
	static const char *const k8s[] = { "JOB_COMPLETION_INDEX=0", NULL };
	static const char *const k8s_last[] = { "JOB_COMPLETION_INDEX=7", NULL };
	static const char *const both[] = { "JOB_COMPLETION_INDEX=0", "SGE_TASK_ID=2",
		"SGE_TASK_FIRST=1", "SGE_TASK_LAST=2", NULL };

	CHECK(shard_of("1/1", none, 1, 1) == 0);
	CHECK(shard_of("3/7", none, 3, 7) == 0);
	CHECK(shard_of("1000000/1000000", none, 1000000, 1000000) == 0);
	CHECK(shard_refused("0/4", none, "expected K/N") == 0);
	CHECK(shard_refused("5/4", none, "expected K/N") == 0);
	CHECK(shard_refused("1/0", none, "expected K/N") == 0);
	CHECK(shard_refused("1/1000001", none, "expected K/N") == 0);
	CHECK(shard_refused("4", none, "expected K/N") == 0);
	CHECK(shard_refused("", none, "expected K/N") == 0);
	CHECK(shard_refused("1/", none, "expected K/N") == 0);
	CHECK(shard_refused("/4", none, "expected K/N") == 0);
	CHECK(shard_refused("1/4/2", none, "expected K/N") == 0);
	CHECK(shard_refused("-1/4", none, "expected K/N") == 0);
	CHECK(shard_refused(" 1/4", none, "expected K/N") == 0);
	CHECK(shard_refused("1/4x", none, "expected K/N") == 0);
	CHECK(shard_refused("auto/", none, "expected K/N") == 0);
	CHECK(shard_refused("auto/0", none, "expected K/N") == 0);
	CHECK(shard_refused("Auto", none, "expected K/N") == 0);
	/* auto: the array's range */
	CHECK(shard_of("auto", slurm14, 3, 4) == 0);
	CHECK(shard_of("auto", slurm03, 1, 4) == 0);
	CHECK(shard_of("auto", slurm_step, 3, 4) == 0);
	CHECK(shard_of("auto", slurm_rerun, 1, 1) == 0);
	{
		struct kx_shard sh;
		struct kx_err e;
		fake_vars = slurm_rerun;
		CHECK(kx_shard_parse("auto", fake_env, &sh, &e) == 0 &&
		      strstr(sh.warn, "SLURM_ARRAY_TASK_ID=3 is an array of one task: shard 1/1") != NULL);
		fake_vars = slurm14;
		CHECK(kx_shard_parse("auto", fake_env, &sh, &e) == 0 && sh.warn[0] == '\0');
		CHECK(kx_shard_parse("auto/4", fake_env, &sh, &e) == 0 && sh.warn[0] == '\0');
	}
	CHECK(shard_refused("auto", slurm_list, "not an evenly stepped range") == 0);
	CHECK(shard_refused("auto", slurm_nomin, "SLURM_ARRAY_TASK_MIN is not set") == 0);
	CHECK(shard_refused("auto", slurm_bad, "SLURM_ARRAY_TASK_ID='x3'") == 0);
	CHECK(shard_of("auto", sge, 2, 5) == 0);
	CHECK(shard_refused("auto", sge_undef, "not in an array job") == 0);
	CHECK(shard_refused("auto", none, "not in an array job") == 0);
	CHECK(shard_refused("auto", k8s, "give --shard auto/N") == 0);
	CHECK(shard_of("auto", both, 2, 2) == 0);  /* Grid Engine before Kubernetes */
	/* auto/N: the task's own number */
	CHECK(shard_of("auto/4", slurm_rerun, 3, 4) == 0);
	CHECK(shard_of("auto/4", slurm14, 3, 4) == 0);
	CHECK(shard_refused("auto/4", slurm03, "not one of 1..4") == 0);
	CHECK(shard_refused("auto/2", slurm14, "not one of 1..2") == 0);
	CHECK(shard_of("auto/5", sge, 2, 5) == 0);
	CHECK(shard_of("auto/8", k8s, 1, 8) == 0);
	CHECK(shard_of("auto/8", k8s_last, 8, 8) == 0);
	CHECK(shard_refused("auto/7", k8s_last, "not one of 1..7") == 0);
	CHECK(shard_refused("auto/3", none, "not in an array job") == 0);
}

void
test_shard_cut(void)
{
	static const uint64_t sizes[] = { 0, 1, 2, 7, 1000, 999983, (uint64_t)1 << 40,
		UINT64_MAX / 2, UINT64_MAX - 1 };
	static const unsigned long ns[] = { 1, 2, 3, 7, 1000, 999983, KX_SHARD_MAX };
	size_t si, ni;
	unsigned long j;
	int ok = 1;

	for (si = 0; si < sizeof sizes / sizeof sizes[0]; si++)
		for (ni = 0; ni < sizeof ns / sizeof ns[0]; ni++) {
			uint64_t d = sizes[si] / 3, s = sizes[si], prev = d, t;
			unsigned long n = ns[ni];
			for (j = 0; j <= n; j += (n > 100 ? n / 97 : 1)) {
				__extension__ unsigned __int128 want = (unsigned __int128)(s - d) * j / n + d;
				t = kx_shard_cut(d, s, j, n);
				ok &= t == (uint64_t)want && t >= prev;
				prev = t;
			}
			ok &= kx_shard_cut(d, s, 0, n) == d && kx_shard_cut(d, s, n, n) == s;
		}
	CHECK(ok);
}

/* The reference: the record starts of buf[0, len) by the framing rule,
 * walked byte by byte from 0 (a record start, on line 1): a record ends
 * at a newline (not inside quotes for CSV and TSV), and is blank, not
 * counted, when all it holds before the newline is spaces (and tabs, but
 * in TSV) and at most one final '\r'. */
static void
ref_locate(const char *buf, size_t len, int framing, unsigned long k, unsigned long n,
           struct kx_shard_range *g)
{
	uint64_t t_lo = kx_shard_cut(0, len, k - 1, n), t_hi = kx_shard_cut(0, len, k, n);
	size_t i, line = 1, recs = 0, start = 0, q, end;
	int inq = 0, got_lo = 0;

	memset(g, 0, sizeof *g);
	g->size = len;
	for (i = 0;; i++) {
		if (start == i || i == len) {
			/* a record starts here, or the file ends */
			if (!got_lo && (i >= t_lo || i == len)) {
				g->lo = i;
				g->line = line;
				g->recs = recs;
				got_lo = 1;
			}
			if (got_lo && (i >= t_hi || i == len)) {
				g->hi = i;
				return;
			}
		}
		if (buf[i] == '"' && framing != KX_SHARD_LINES)
			inq = !inq;
		if (buf[i] != '\n')
			continue;
		line++;
		if (inq)
			continue;
		end = i > start && buf[i - 1] == '\r' ? i - 1 : i;
		for (q = start; q < end && (buf[q] == ' ' || (buf[q] == '\t' && framing != KX_SHARD_TSV)); q++)
			;
		recs += q != end;
		start = i + 1;
	}
}

void
test_shard_locate(void)
{
	static const char *const alpha[] = { "[1, ]\n\n\n \t\r\"", "ab,,\"\"\n\n\r 1\t", "a\t\t\"\"\n\n\r 1 " };
	static const char *const names[] = { "lines", "csv", "tsv" };
	static const size_t chunks[] = { 1, 2, 3, 5, 64, 0 };
	char path[] = "/tmp/kanx-unit-shard-XXXXXX";
	char buf[600];
	struct kx_shard sh;
	struct kx_shard_range g, want;
	struct kx_err e;
	unsigned seed = 12345;
	int fd = mkstemp(path), trial, fr, bad = 0;
	size_t len, i, ci;

	CHECK(fd >= 0);
	if (fd < 0)
		return;
	unlink(path);
	for (trial = 0; trial < 450 && bad < 5; trial++) {
		fr = trial % 3;
		len = (size_t)(trial * 4 / 3);
		if (len > sizeof buf)
			len = sizeof buf;
		for (i = 0; i < len; i++) {
			seed = seed * 1103515245u + 12345u;
			buf[i] = alpha[fr][(seed >> 16) % strlen(alpha[fr])];
		}
		if (ftruncate(fd, 0) != 0 || pwrite(fd, buf, len, 0) != (ssize_t)len) {
			CHECK(0);
			break;
		}
		for (sh.n = 1; sh.n <= 7; sh.n++) {
			uint64_t prev_hi = 0;
			for (sh.k = 1; sh.k <= sh.n; sh.k++) {
				ref_locate(buf, len, fr, sh.k, sh.n, &want);
				for (ci = 0; ci < sizeof chunks / sizeof chunks[0]; ci++) {
					kx_err_clear(&e);
					if (kx_shard_locate(fd, "t", len, 0, 1, 0, fr, &sh, chunks[ci], &g, &e) != 0 ||
					    g.lo != want.lo || g.hi != want.hi || g.line != want.line ||
					    g.recs != want.recs) {
						if (bad++ < 5)
							printf("# shard %lu/%lu of %zu bytes (%s, chunk %zu): got [%llu, %llu) "
							       "line %llu recs %llu, want [%llu, %llu) line %llu recs %llu\n",
							       sh.k, sh.n, len, names[fr], chunks[ci],
							       (unsigned long long)g.lo, (unsigned long long)g.hi,
							       (unsigned long long)g.line, (unsigned long long)g.recs,
							       (unsigned long long)want.lo, (unsigned long long)want.hi,
							       (unsigned long long)want.line, (unsigned long long)want.recs);
					}
				}
				/* the shards tile the file in order */
				if (want.lo != prev_hi && bad++ < 5)
					printf("# shard %lu/%lu starts at %llu, the one before ended at %llu\n",
					       sh.k, sh.n, (unsigned long long)want.lo, (unsigned long long)prev_hi);
				prev_hi = want.hi;
			}
			if (prev_hi != len && bad++ < 5)
				printf("# the last of %lu shards ends at %llu of %zu\n", sh.n,
				       (unsigned long long)prev_hi, len);
		}
	}
	CHECK(bad == 0);

	/* a cut inside a quoted field moves past the record that holds it:
	 * the nominal cut of 2 shards is byte 13, inside the quoted field,
	 * where "9,9" would look like a record of its own */
	{
		static const char q[] = "id,x\n\"a\nb\n9,9\",1\nc,2\n";
		len = sizeof q - 1;
		CHECK(ftruncate(fd, 0) == 0 && pwrite(fd, q, len, 0) == (ssize_t)len);
		sh.k = 2;
		sh.n = 2;
		kx_err_clear(&e);
		/* the data start after the header: byte 5, line 2, 1 record */
		CHECK(kx_shard_locate(fd, "t", len, 5, 2, 1, KX_SHARD_CSV, &sh, 0, &g, &e) == 0);
		CHECK(kx_shard_cut(5, len, 1, 2) == 13);
		CHECK(g.lo == 17 && g.hi == len && g.line == 5 && g.recs == 2);
		sh.k = 1;
		CHECK(kx_shard_locate(fd, "t", len, 5, 2, 1, KX_SHARD_CSV, &sh, 0, &g, &e) == 0);
		CHECK(g.lo == 5 && g.hi == 17 && g.line == 2 && g.recs == 1);
		/* JSON lines: every newline ends a record */
		sh.k = 3;
		sh.n = 3;
		CHECK(kx_shard_locate(fd, "t", len, 0, 1, 0, KX_SHARD_LINES, &sh, 0, &g, &e) == 0);
		CHECK(g.lo == 17 && g.line == 5 && g.recs == 4);
		/* a tab-only line is blank in CSV, a record (of empty fields) in TSV */
		static const char t[] = "a\n\t\nb\nc\n";
		len = sizeof t - 1;
		CHECK(ftruncate(fd, 0) == 0 && pwrite(fd, t, len, 0) == (ssize_t)len);
		sh.k = 2;
		sh.n = 2;
		CHECK(kx_shard_locate(fd, "t", len, 0, 1, 0, KX_SHARD_CSV, &sh, 0, &g, &e) == 0);
		CHECK(g.lo == 4 && g.recs == 1);
		CHECK(kx_shard_locate(fd, "t", len, 0, 1, 0, KX_SHARD_TSV, &sh, 0, &g, &e) == 0);
		CHECK(g.lo == 4 && g.recs == 2);
	}
	close(fd);
}
