/* tests/unit_kernel.c - unit tests: every kernel (kernel.c, kernel_*.c)
 * against Keras's numbers on the fixtures and against the reference, the
 * AVX2 kernel's choice of dense or sparse KAN paths, and one model shared
 * by two threads' work areas. */
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <dirent.h>

#include "kernel.h"
#include "kxlimits.h"
#include "model.h"
#include "testutil.h"
#include "unit.h"

static int
close_enough(float got, float want)
{
	return fabsf(got - want) <= 1e-4f * (1.0f + fabsf(want));
}

/* Every fixture: the fast forward pass and the reference agree with what
 * Keras predicted, and with each other. */
static void
test_fixtures(const char *srcdir)
{
	static const char *const dirs[] = { "keras-3.3", "keras-3.8", "keras-3.16", "models" };
	struct kx_limits lim;
	const char *msg;
	size_t d, models = 0;

	kx_limits_init(&lim, &msg);
	for (d = 0; d < 4; d++) {
		char dir[1024];
		struct dirent *de;
		DIR *dp;

		snprintf(dir, sizeof dir, "%s/tests/fixtures/%s", srcdir, dirs[d]);
		dp = opendir(dir);
		CHECK(dp != NULL);
		if (!dp)
			continue;
		while ((de = readdir(dp))) {
			char mp[2048], ip[2048], ep[2048];
			size_t len = strlen(de->d_name), nr, nc, er, ec, i, bad = 0, badref = 0;
			struct kx_model *m;
			struct kx_work *w;
			struct kx_err e;
			float *x, *want, *y, *yr;

			if (len < 7 || strcmp(de->d_name + len - 6, ".keras") != 0)
				continue;
			snprintf(mp, sizeof mp, "%s/%s", dir, de->d_name);
			snprintf(ip, sizeof ip, "%s/%.*s_input.csv", dir, (int)(len - 6), de->d_name);
			snprintf(ep, sizeof ep, "%s/%.*s_expected.csv", dir, (int)(len - 6), de->d_name);
			kx_err_clear(&e);
			m = kx_model_load(mp, &lim, &e);
			if (!m) {
				printf("not ok: load %s: %s\n", mp, e.msg);
				unit_failed++;
				continue;
			}
			models++;
			x = test_read_csv(ip, &nr, &nc);
			want = test_read_csv(ep, &er, &ec);
			CHECK(x && want && nc == m->in && ec == m->out && nr == er);
			if (!x || !want || nc != m->in || ec != m->out || nr != er) {
				free(x);
				free(want);
				kx_model_free(m);
				continue;
			}
			y = calloc(nr * m->out, sizeof *y);
			yr = calloc(nr * m->out, sizeof *yr);
			w = kx_work_new(m, nr);
			kx_model_forward(m, w, x, nr, y);
			kx_model_forward_ref(m, x, nr, yr);
			for (i = 0; i < nr * m->out; i++) {
				if (!close_enough(y[i], want[i])) {
					if (bad++ == 0)
						printf("not ok: %s row %zu col %zu: fast %.9g keras %.9g\n", mp,
						       i / m->out, i % m->out, y[i], want[i]);
				}
				if (!close_enough(yr[i], want[i])) {
					if (badref++ == 0)
						printf("not ok: %s row %zu col %zu: ref %.9g keras %.9g\n", mp,
						       i / m->out, i % m->out, yr[i], want[i]);
				}
			}
			CHECK(bad == 0);
			CHECK(badref == 0);
			kx_work_free(w);
			free(y);
			free(yr);
			free(x);
			free(want);
			kx_model_free(m);
		}
		closedir(dp);
	}
	CHECK(models >= 35);
}

/* The fast kernel (local de Boor + GEMM) against the reference (full
 * Cox-de Boor), on every knot of the extended grid, the float32 neighbours
 * of each knot, and far outside, for uniform and non-uniform grids with a
 * repeated knot, over several G and k. */
static void
test_kernels(void)
{
	static const size_t Gs[] = { 1, 3, 5, 20 }, ks[] = { 0, 1, 2, 3, 5 };
	size_t gi, ki, rep;

	for (gi = 0; gi < 4; gi++)
		for (ki = 0; ki < 5; ki++)
			for (rep = 0; rep < 2; rep++) {
				size_t widths[3] = { 3, 4, 2 }, G = Gs[gi], k = ks[ki], nk = G + 2 * k + 1;
				struct kx_err e;
				struct kx_model *m = kx_model_fresh(widths, 3, G, k, (struct kx_act){ .kind = KX_ACT_SILU }, -1.5f, 2.0f, 7 + gi * 4 + ki, &e);
				struct kx_layer *l;
				struct kx_work *w;
				float *x, *y, *yr;
				size_t n = 0, cap, i, j, bad = 0;

				CHECK(m != NULL);
				if (!m)
					continue;
				l = &m->layers[0];
				if (rep && G >= 3) {
					/* non-uniform, with a repeated knot in feature 0 */
					l->grid[1] = l->grid[2];
					l->grid[(G + 1) + 1] = l->grid[(G + 1)] + 0.01f;
					CHECK(kx_layer_prepare(m, l) == 0);
					CHECK(l->kn.uniform == 0 && l->kn.closed == 0);
				}
				cap = (nk * 5 + 8) * 3;
				x = calloc(cap, sizeof *x);
				for (j = 0; j < nk; j++) {
					float t = l->kn.ext[j];
					float c[5] = { t, nextafterf(t, -INFINITY), nextafterf(t, INFINITY), t + 1e-3f, t - 1e-3f };
					for (i = 0; i < 5; i++, n++) {
						x[3 * n] = c[i];
						x[3 * n + 1] = l->kn.ext[nk + (j % nk)];
						x[3 * n + 2] = -c[i];
					}
				}
				{
					float far[8] = { 100, -100, 1000, -1000, 1e30f, -1e30f, 0, 0.5f };
					for (i = 0; i < 8; i++, n++)
						x[3 * n] = x[3 * n + 1] = x[3 * n + 2] = far[i];
				}
				y = calloc(n * 2, sizeof *y);
				yr = calloc(n * 2, sizeof *yr);
				w = kx_work_new(m, n);
				kx_model_forward(m, w, x, n, y);
				kx_model_forward_ref(m, x, n, yr);
				for (i = 0; i < n * 2; i++)
					if (!(fabsf(y[i] - yr[i]) <= 1e-5f * (1.0f + fabsf(yr[i]))) && !(isnan(y[i]) && isnan(yr[i]))) {
						if (bad++ == 0)
							printf("not ok: G=%zu k=%zu rep=%zu x=%g: fast %.9g ref %.9g\n", G, k, rep,
							       x[3 * (i / 2)], y[i], yr[i]);
					}
				CHECK(bad == 0);
				kx_work_free(w);
				free(x);
				free(y);
				free(yr);
				kx_model_free(m);
			}
}


/* The AVX2 kernel's choice between its dense and sparse KAN paths: by
 * cost (large G sparse, small G dense), and never sparse with a weight
 * that is not finite, whose NaN must reach the output as in the
 * reference. */
static void
test_sparse_choice(void)
{
	size_t widths[2] = { 4, 3 }, i, n = 40;
	struct kx_err e;
	struct kx_model *m5, *m20;
	struct kx_work *w;
	float x[40 * 4], y[40 * 3], yr[40 * 3];
	int bad = 0;

	if (kx_kernel_select("avx2") != 0)
		return;
	kx_panel_sparse = -1;
	m5 = kx_model_fresh(widths, 2, 5, 3, (struct kx_act){ .kind = KX_ACT_SILU }, -1.0f, 1.0f, 3, &e);
	m20 = kx_model_fresh(widths, 2, 20, 3, (struct kx_act){ .kind = KX_ACT_SILU }, -1.0f, 1.0f, 3, &e);
	CHECK(m5 && m20);
	if (!m5 || !m20)
		goto out;
	CHECK(m5->layers[0].prep && !kx_prep_is_sparse(m5->layers[0].prep));
	CHECK(kx_prep_is_sparse(m20->layers[0].prep));
	/* an infinite weight: the dense path, and the reference's NaNs */
	kx_panel_sparse = 1;
	m20->layers[0].spline_w[5] = INFINITY;
	CHECK(kx_layer_prepare(m20, &m20->layers[0]) == 0);
	CHECK(m20->layers[0].prep && !kx_prep_is_sparse(m20->layers[0].prep));
	for (i = 0; i < n * 4; i++)
		x[i] = (float)i / (float)(n * 4) * 2.4f - 1.2f;
	w = kx_work_new(m20, n);
	kx_model_forward(m20, w, x, n, y);
	kx_model_forward_ref(m20, x, n, yr);
	for (i = 0; i < n * 3; i++)
		if (isnan(y[i]) != isnan(yr[i]) || (!isnan(y[i]) && fabsf(y[i] - yr[i]) > 1e-5f * (1.0f + fabsf(yr[i]))))
			bad++;
	CHECK(bad == 0);
	kx_work_free(w);
out:
	kx_panel_sparse = -1;
	kx_model_free(m5);
	kx_model_free(m20);
	kx_kernel_select(NULL);
}


/* What predict's threads do (cmd_predict.c): each scores chunks of a
 * batch with a work area of its own, on one model, at the same time. The
 * rows come out with the bits of the whole batch scored at once, whatever
 * the chunks, and a batch over the work's size is refused. */
struct chunk_job {
	const struct kx_model *m;
	const float *x;
	float *y;
	size_t n, chunk;
	int rc;
};

static void *
chunk_worker(void *arg)
{
	struct chunk_job *j = arg;
	struct kx_work *w = kx_work_new(j->m, j->chunk);
	size_t c, cnt;

	j->rc = w ? 0 : -1;
	for (c = 0; w && c < j->n; c += cnt) {
		cnt = j->n - c < j->chunk ? j->n - c : j->chunk;
		if (kx_model_forward(j->m, w, j->x + c * j->m->in, cnt, j->y + c * j->m->out) != 0)
			j->rc = -1;
	}
	kx_work_free(w);
	return NULL;
}

static void
test_threads(const char *srcdir)
{
	struct kx_limits lim;
	struct kx_err e;
	struct kx_model *m;
	struct kx_work *w1;
	const char *msg;
	char path[1024];
	size_t n = 1000, i, bad = 0, ci;
	float *x, *y1, *y2, *y3;

	kx_limits_init(&lim, &msg);
	snprintf(path, sizeof path, "%s/tests/fixtures/models/bench16.keras", srcdir);
	m = kx_model_load(path, &lim, &e);
	CHECK(m != NULL);
	if (!m)
		return;
	x = malloc(n * m->in * sizeof *x);
	y1 = malloc(n * m->out * sizeof *y1);
	y2 = malloc(n * m->out * sizeof *y2);
	y3 = malloc(n * m->out * sizeof *y3);
	for (i = 0; i < n * m->in; i++)
		x[i] = (float)((i * 2654435761u) % 2001) / 1000.0f - 1.0f;
	w1 = kx_work_new(m, n);
	CHECK(kx_model_forward(m, w1, x, n, y1) == 0);
	CHECK(kx_model_forward(m, w1, x, n + 1, y2) == -1);
	/* two threads at once, chunks of 1 row (and 31, 64, 501) in one and
	 * 1000 - that in the other */
	{
		size_t chunks[] = { 1, 31, 64, 501 };
		for (ci = 0; ci < sizeof chunks / sizeof chunks[0]; ci++) {
			struct chunk_job a = { m, x, y2, n / 2, chunks[ci], 0 };
			struct chunk_job b = { m, x + n / 2 * m->in, y2 + n / 2 * m->out, n - n / 2,
			                       chunks[ci] * 3 + 1, 0 };
			pthread_t ta, tb;
			for (i = 0; i < n * m->out; i++)
				y2[i] = NAN;
			CHECK(pthread_create(&ta, NULL, chunk_worker, &a) == 0);
			CHECK(pthread_create(&tb, NULL, chunk_worker, &b) == 0);
			pthread_join(ta, NULL);
			pthread_join(tb, NULL);
			CHECK(a.rc == 0 && b.rc == 0);
			CHECK(memcmp(y1, y2, n * m->out * sizeof *y1) == 0);
		}
	}
	/* and a work area larger than the batch, reused for batches of every size */
	for (i = 1, bad = 0; i <= 64; i += 7) {
		CHECK(kx_model_forward(m, w1, x, i, y3) == 0);
		if (memcmp(y1, y3, i * m->out * sizeof *y1) != 0)
			bad++;
	}
	CHECK(bad == 0);
	kx_work_free(w1);
	free(x);
	free(y1);
	free(y2);
	free(y3);
	kx_model_free(m);
}

/* The fast kernels each against Keras and the reference: BLIS everywhere,
 * AVX2 (its dense and its sparse KAN paths) where the CPU has it. */
void
test_kernel(const char *srcdir)
{
	static const char *const kernels[] = { "blis", "avx2", "avx2" };
	static const int sparse[] = { -1, 0, 1 };
	size_t ki;

	CHECK(kx_kernel_select("no-such-kernel") == -1);
	for (ki = 0; ki < 3; ki++) {
		if (kx_kernel_select(kernels[ki]) != 0) {
			printf("# %s kernel: not on this CPU, skipped\n", kernels[ki]);
			continue;
		}
		kx_panel_sparse = sparse[ki];
		printf("# %s kernel%s\n", kernels[ki],
		       sparse[ki] == 1 ? ", sparse KAN layers" : sparse[ki] == 0 ? ", dense KAN layers" : "");
		test_fixtures(srcdir);
		test_kernels();
		test_threads(srcdir);
	}
	kx_kernel_select(NULL);
	kx_panel_sparse = -1;
	test_sparse_choice();
}
