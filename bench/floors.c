/* bench/floors.c - what this machine can do at best, for comparing kanx
 * predict against: BLIS sgemm at the shapes of a KAN's forward pass, and
 * the number text routines (strtof vs kx_parse_float, printf vs
 * kx_format_float). Run by bench/run.sh; never by make check.
 *
 * usage: bench/floors [-n ROWS] [-w WIDTHS] [-G G] [-k K] [-t THREADS]
 *        bench/floors -x RUNS COMMAND [ARG ...]
 *   ROWS     rows per GEMM (the batch size), default 1024
 *   WIDTHS   layer widths, default 16,64,64,1 (the shape of bench16.keras)
 *   G, K     grid size and spline order, default 5 and 3
 *   THREADS  1 or more; rows are split across threads, each calling a
 *            single-threaded BLIS, as kanx's kernels do; default 1. The
 *            threads are started once per measurement, so this is the
 *            floor without any per-batch thread start or hand-off.
 *
 * A KANLinear layer (in -> out) is, per batch, one GEMM of the
 * (rows x in*(1+G+k)) matrix [silu(x) | B-spline bases] by the
 * (in*(1+G+k) x out) weights: 2*rows*in*(1+G+k)*out flops.
 *
 * Output: one "name value unit" line per measurement (best of 3 runs of at
 * least 0.2 s each), for bench/run.sh to tabulate.
 *
 * With -x, run COMMAND RUNS times (output to /dev/null) and print the
 * median wall time of one whole process in milliseconds: the cold start,
 * timed without a shell or date(1) in the way. */
#include <blis.h>
#include <fcntl.h>
#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "clock.h"
#include "numfmt.h"

#define MAX_LAYERS 16


static uint64_t rng_state = 0x2545F4914F6CDD1Du;

static uint64_t
rng(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

static float
urand(void)
{
	return (float)((double)(rng() >> 11) / 9007199254740992.0 * 2.0 - 1.0);
}

/* ---- GEMM ------------------------------------------------------------ */

struct gemm_job {
	size_t m, n, k;
	const float *a, *b;
	float *c;
	long calls;             /* repeat the GEMM this many times */
};

static void *
gemm_thread(void *arg)
{
	struct gemm_job *j = arg;
	float alpha = 1.0f, beta = 0.0f;
	long i;

	for (i = 0; i < j->calls; i++)
		bli_sgemm(BLIS_NO_TRANSPOSE, BLIS_NO_TRANSPOSE, (dim_t)j->m, (dim_t)j->n,
		    (dim_t)j->k, &alpha, (float *)j->a, (inc_t)j->k, 1, (float *)j->b,
		    (inc_t)j->n, 1, &beta, j->c, (inc_t)j->n, 1);
	return NULL;
}

/* `calls` times C (m x n) = A (m x k) B (k x n), the rows split over nt
 * threads started once (each thread repeats its share). */
static void
gemm_split(size_t m, size_t n, size_t k, const float *a, const float *b, float *c,
    int nt, long calls)
{
	struct gemm_job jobs[64];
	pthread_t th[64];
	int i;

	for (i = 0; i < nt; i++) {
		size_t r0 = m * (size_t)i / (size_t)nt, r1 = m * (size_t)(i + 1) / (size_t)nt;

		jobs[i].m = r1 - r0;
		jobs[i].n = n;
		jobs[i].k = k;
		jobs[i].a = a + r0 * k;
		jobs[i].b = b;
		jobs[i].c = c + r0 * n;
		jobs[i].calls = calls;
	}
	for (i = 1; i < nt; i++)
		if (pthread_create(&th[i], NULL, gemm_thread, &jobs[i]) != 0) {
			fprintf(stderr, "floors: cannot start a thread\n");
			exit(1);
		}
	gemm_thread(&jobs[0]);
	for (i = 1; i < nt; i++)
		pthread_join(th[i], NULL);
}

static float *
random_floats(size_t n)
{
	float *p = malloc(n * sizeof *p);
	size_t i;

	if (!p) {
		fprintf(stderr, "floors: out of memory\n");
		exit(1);
	}
	for (i = 0; i < n; i++)
		p[i] = urand();
	return p;
}

/* Best seconds per GEMM of one layer (all threads together). */
static double
time_gemm(size_t m, size_t n, size_t k, int nt)
{
	float *a = random_floats(m * k), *b = random_floats(k * n), *c = random_floats(m * n);
	double best = 1e30, t0, t;
	long calls = 1;
	int rep;

	/* warm up, and find a repeat count that takes about 0.2 s */
	for (;;) {
		t0 = kx_clock_ms() / 1e3;
		gemm_split(m, n, k, a, b, c, nt, calls);
		if ((t = kx_clock_ms() / 1e3 - t0) >= 0.05 || calls > 1L << 30)
			break;
		calls *= 2;
	}
	calls = (long)((double)calls * 0.2 / t) + 1;
	for (rep = 0; rep < 3; rep++) {
		t0 = kx_clock_ms() / 1e3;
		gemm_split(m, n, k, a, b, c, nt, calls);
		t = (kx_clock_ms() / 1e3 - t0) / (double)calls;
		if (t < best)
			best = t;
	}
	free(a);
	free(b);
	free(c);
	return best;
}

/* ---- number text ----------------------------------------------------- */

enum { NFIELDS = 200000 };

/* fields as predict's input has them: %.9g of floats in [-1, 1] */
static char *
make_fields(size_t **offp, size_t **lenp)
{
	char *txt = malloc((size_t)NFIELDS * 20);
	size_t *off = malloc(NFIELDS * sizeof *off), *len = malloc(NFIELDS * sizeof *len);
	size_t pos = 0, i;

	if (!txt || !off || !len) {
		fprintf(stderr, "floors: out of memory\n");
		exit(1);
	}
	for (i = 0; i < NFIELDS; i++) {
		off[i] = pos;
		len[i] = (size_t)sprintf(txt + pos, "%.9g", (double)urand());
		pos += len[i] + 1;
	}
	*offp = off;
	*lenp = len;
	return txt;
}

static volatile float sink;

static double
rate(int which, const char *txt, const size_t *off, const size_t *len, const float *vals)
{
	double best = 0, t0, t;
	char buf[64];
	long rounds;
	size_t i;
	int rep;
	float acc = 0, f;

	for (rep = 0; rep < 3; rep++) {
		rounds = 0;
		t0 = kx_clock_ms() / 1e3;
		do {
			for (i = 0; i < NFIELDS; i++) {
				switch (which) {
				case 0:
					acc += strtof(txt + off[i], NULL);
					break;
				case 1:
					kx_parse_float(txt + off[i], len[i], &f);
					acc += f;
					break;
				case 2:
					acc += (float)snprintf(buf, sizeof buf, "%.9g", (double)vals[i]);
					break;
				default:
					acc += (float)kx_format_float(vals[i], buf);
					break;
				}
			}
			rounds++;
		} while ((t = kx_clock_ms() / 1e3 - t0) < 0.2);
		if ((double)rounds * NFIELDS / t > best)
			best = (double)rounds * NFIELDS / t;
	}
	sink = acc;
	return best;
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* -x RUNS COMMAND...: median milliseconds of a whole process. */
static int
spawn_median(int runs, char **cmd)
{
	double *t = malloc((size_t)runs * sizeof *t), t0;
	int i, st, fails = 0;
	pid_t pid;

	if (!t)
		return 1;
	for (i = 0; i < runs; i++) {
		t0 = kx_clock_ms() / 1e3;
		pid = fork();
		if (pid < 0) {
			perror("floors: fork");
			return 1;
		}
		if (pid == 0) {
			int fd = open("/dev/null", O_WRONLY);

			if (fd >= 0) {
				dup2(fd, 1);
				dup2(fd, 2);
			}
			execvp(cmd[0], cmd);
			_exit(127);
		}
		if (waitpid(pid, &st, 0) < 0 || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
			fails++;
		t[i] = (kx_clock_ms() / 1e3 - t0) * 1e3;
	}
	qsort(t, (size_t)runs, sizeof *t, cmp_double);
	printf("%.2f\n", t[runs / 2]);
	free(t);
	if (fails)
		fprintf(stderr, "floors: %d of %d runs of %s failed\n", fails, runs, cmd[0]);
	return fails ? 1 : 0;
}

static void
usage(void)
{
	fprintf(stderr, "usage: floors [-n ROWS] [-w WIDTHS] [-G G] [-k K] [-t THREADS]\n"
	    "       floors -x RUNS COMMAND [ARG ...]\n");
	exit(2);
}

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
/* The core's FMA peak: twelve independent chains of 8-float FMAs, the
 * most a 2-FMA-unit core with 5-cycle FMAs can keep busy. */
__attribute__((target("avx2,fma"), noinline)) static void
fma_loop(size_t n, float *out)
{
	__m256 acc[12], a = _mm256_set1_ps(1.0000001f), b = _mm256_set1_ps(0.9999999f);
	size_t i;
	int j;

#pragma GCC unroll 12
	for (j = 0; j < 12; j++)
		acc[j] = _mm256_set1_ps((float)j);
	for (i = 0; i < n; i++)
#pragma GCC unroll 12
		for (j = 0; j < 12; j++)
			acc[j] = _mm256_fmadd_ps(a, b, acc[j]);
#pragma GCC unroll 12
	for (j = 0; j < 12; j++)
		_mm256_storeu_ps(out + 8 * j, acc[j]);
}

/* GFLOP/s of fma_loop, best of 20; 0 without AVX2+FMA */
static double
fma_peak(void)
{
	float out[96];
	double best = 0;
	int r;

	__builtin_cpu_init();
	if (!__builtin_cpu_supports("avx2") || !__builtin_cpu_supports("fma"))
		return 0;
	for (r = 0; r < 20; r++) {
		double t0 = kx_clock_ms() / 1e3, t;
		fma_loop(1000000, out);
		t = kx_clock_ms() / 1e3 - t0;
		sink += out[r % 96];
		if (t > 0 && 1000000.0 * 12 * 16 / t > best)
			best = 1000000.0 * 12 * 16 / t;
	}
	return best / 1e9;
}
#else
static double
fma_peak(void)
{
	return 0;
}
#endif

int
main(int argc, char **argv)
{
	size_t widths[MAX_LAYERS + 1], nw = 0, rows = 1024, G = 5, K = 3, l, i;
	const char *wspec = "16,64,64,1";
	double flops_row = 0, secs_row = 0, r;
	int nt = 1, a;
	char *end;
	const char *p;

	if (argc >= 4 && strcmp(argv[1], "-x") == 0) {
		int runs = atoi(argv[2]);

		if (runs < 1)
			usage();
		return spawn_median(runs, argv + 3);
	}
	for (a = 1; a < argc; a++) {
		if (a + 1 >= argc)
			usage();
		if (strcmp(argv[a], "-n") == 0)
			rows = strtoul(argv[++a], NULL, 10);
		else if (strcmp(argv[a], "-w") == 0)
			wspec = argv[++a];
		else if (strcmp(argv[a], "-G") == 0)
			G = strtoul(argv[++a], NULL, 10);
		else if (strcmp(argv[a], "-k") == 0)
			K = strtoul(argv[++a], NULL, 10);
		else if (strcmp(argv[a], "-t") == 0)
			nt = atoi(argv[++a]);
		else
			usage();
	}
	for (p = wspec; *p && nw <= MAX_LAYERS; p = *end ? end + 1 : end) {
		widths[nw++] = strtoul(p, &end, 10);
		if (end == p || widths[nw - 1] == 0)
			usage();
	}
	if (nw < 2 || rows == 0 || nt < 1 || nt > 64)
		usage();
	bli_thread_set_num_threads(1);

	for (l = 0; l + 1 < nw; l++) {
		size_t k = widths[l] * (1 + G + K), n = widths[l + 1];
		double s = time_gemm(rows, n, k, nt), fl = 2.0 * (double)rows * (double)k * (double)n;

		printf("sgemm_layer%zu %.2f GFLOP/s (%zu x %zu by %zu x %zu, %d thread%s)\n",
		    l, fl / s / 1e9, rows, k, k, n, nt, nt > 1 ? "s" : "");
		flops_row += fl / (double)rows;
		secs_row += s / (double)rows;
	}
	printf("sgemm_model %.2f GFLOP/s (all layers, %d thread%s)\n",
	    flops_row / secs_row / 1e9, nt, nt > 1 ? "s" : "");
	printf("sgemm_rows %.0f rows/s (GEMM alone, no bases, no text)\n", 1.0 / secs_row);
	r = fma_peak();
	if (r > 0)
		printf("fma_peak %.2f GFLOP/s = %.0f rows/s (the core's FMA peak, 1 thread, over the "
		       "same FLOPs)\n", r, r * 1e9 / flops_row);

	if (nt == 1) {
		size_t *off, *len;
		char *txt = make_fields(&off, &len);
		float *vals = malloc(NFIELDS * sizeof *vals);

		if (!vals)
			return 1;
		for (i = 0; i < NFIELDS; i++)
			vals[i] = urand() * (i % 4 ? 1.0f : 1000.0f);
		r = rate(0, txt, off, len, vals);
		printf("strtof %.1f M fields/s\n", r / 1e6);
		r = rate(1, txt, off, len, vals);
		printf("kx_parse_float %.1f M fields/s\n", r / 1e6);
		r = rate(2, txt, off, len, vals);
		printf("printf_9g %.1f M values/s\n", r / 1e6);
		r = rate(3, txt, off, len, vals);
		printf("kx_format_float %.1f M values/s\n", r / 1e6);
		free(txt);
		free(off);
		free(len);
		free(vals);
	}
	return 0;
}
