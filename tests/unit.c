/* tests/unit.c - C unit tests: limits, cli helpers, kernels, number text.
 * Prints TAP-like lines and "N passed, N failed" at the end. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <dirent.h>
#include <unistd.h>
#include <stdlib.h>

#include "act.h"
#include "cli.h"
#include "kernel.h"
#include "limits.h"
#include "model.h"
#include "request.h"
#include "yamlcfg.h"
#include "output.h"
#include "rows.h"

static int passed, failed;

#define CHECK(cond) do { if (cond) passed++; else { failed++; \
	printf("not ok: %s:%d: %s\n", __FILE__, __LINE__, #cond); } } while (0)

static void
test_limits(void)
{
	size_t r;

	CHECK(kx_mul(SIZE_MAX / 2, 3, &r) == -1);
	CHECK(kx_mul(1000, 1000, &r) == 0 && r == 1000000);
	CHECK(kx_add(SIZE_MAX, 1, &r) == -1);
	CHECK(kx_parse_size("42", 1, 100, &r) == 0 && r == 42);
	CHECK(kx_parse_size("0", 1, 100, &r) == -1);
	CHECK(kx_parse_size("-1", 0, 100, &r) == -1);
	CHECK(kx_parse_size("12x", 0, 100, &r) == -1);
	CHECK(kx_parse_size("99999999999999999999999", 0, SIZE_MAX, &r) == -1);
	CHECK(kx_mallocarray(SIZE_MAX / 4, 8) == NULL);
}

static void
test_nearest(void)
{
	const char *const cmds[] = { "inspect", "predict", "validate", "serve-stdin", NULL };

	CHECK(strcmp(kx_cli_nearest("predcit", cmds), "predict") == 0);
	CHECK(strcmp(kx_cli_nearest("serve", cmds), "serve-stdin") == 0);
	CHECK(kx_cli_nearest("zzzzzzzzzz", cmds) == NULL);
}

/* Read a numeric CSV with a header line into a new array; *rows, *cols. */
static float *
read_csv(const char *path, size_t *rows, size_t *cols)
{
	FILE *f = fopen(path, "r");
	char line[65536];
	float *v = NULL;
	size_t n = 0, cap = 0, c;

	*rows = *cols = 0;
	if (!f)
		return NULL;
	if (!fgets(line, sizeof line, f)) {
		fclose(f);
		return NULL;
	}
	while (fgets(line, sizeof line, f)) {
		char *p = line, *end;
		c = 0;
		for (;;) {
			float x = strtof(p, &end);
			if (end == p)
				break;
			if (n == cap) {
				cap = cap ? cap * 2 : 1024;
				v = realloc(v, cap * sizeof *v);
			}
			v[n++] = x;
			c++;
			p = end;
			if (*p != ',')
				break;
			p++;
		}
		if (c) {
			*cols = c;
			(*rows)++;
		}
	}
	fclose(f);
	return v;
}

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
				failed++;
				continue;
			}
			models++;
			x = read_csv(ip, &nr, &nc);
			want = read_csv(ep, &er, &ec);
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
	static const size_t Gs[] = { 1, 3, 5, 20 }, ks[] = { 1, 2, 3, 5 };
	size_t gi, ki, rep;

	for (gi = 0; gi < 4; gi++)
		for (ki = 0; ki < 4; ki++)
			for (rep = 0; rep < 2; rep++) {
				size_t widths[3] = { 3, 4, 2 }, G = Gs[gi], k = ks[ki], nk = G + 2 * k + 1;
				struct kx_err e;
				struct kx_model *m = kx_model_fresh(widths, 3, G, k, KX_ACT_SILU, -1.5f, 2.0f, 7 + gi * 4 + ki, &e);
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
					free(l->ext);
					free(l->packed);
					kx_kan_prepare(l);
					kx_kan_pack(l);
					CHECK(l->uniform == 0);
				}
				cap = (nk * 5 + 8) * 3;
				x = calloc(cap, sizeof *x);
				for (j = 0; j < nk; j++) {
					float t = l->ext[j];
					float c[5] = { t, nextafterf(t, -INFINITY), nextafterf(t, INFINITY), t + 1e-3f, t - 1e-3f };
					for (i = 0; i < 5; i++, n++) {
						x[3 * n] = c[i];
						x[3 * n + 1] = l->ext[nk + (j % nk)];
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


/* ---- request documents (request.c) ---- */

static int
req(struct kx_req *r, const char *s)
{
	char err[200];
	size_t off;

	return kx_req_parse(r, s, strlen(s), 64, err, sizeof err, &off);
}

static void
test_request(void)
{
	struct kx_req r;
	char shape[64], deep[300];
	size_t i;

	kx_req_init(&r);
	CHECK(req(&r, "{\"x\": [[1, 2.5], [-3e2, 0.1]], \"id\": [1, {\"a\": 2}], \"op\": \"predict\"}") == 0);
	CHECK(r.has_x && r.x_status == KX_X_OK && r.rank == 2 && r.shape[0] == 2 && r.shape[1] == 2);
	CHECK(r.nx == 4 && r.x[0] == 1.0f && r.x[1] == 2.5f && r.x[2] == -300.0f && r.x[3] == 0.1f);
	CHECK(r.id_len == strlen("[1, {\"a\": 2}]") && memcmp(r.id, "[1, {\"a\": 2}]", r.id_len) == 0);
	CHECK(r.op && strcmp(r.op, "predict") == 0);

	CHECK(req(&r, " {\"x\":[0.5,-0]} ") == 0 && r.rank == 1 && r.shape[0] == 2 && r.op == NULL && r.id == NULL);
	CHECK(req(&r, "{\"x\": 3}") == 0 && r.x_status == KX_X_OK && r.rank == 0 && r.nx == 1);
	kx_req_shape_str(&r, shape, sizeof shape);
	CHECK(strcmp(shape, "[]") == 0);
	CHECK(req(&r, "{\"x\": []}") == 0 && r.rank == 1 && r.shape[0] == 0);
	CHECK(req(&r, "{\"x\": [[]]}") == 0 && r.rank == 2 && r.shape[0] == 1 && r.shape[1] == 0);
	CHECK(req(&r, "{\"x\": [[[1], [2]]]}") == 0 && r.rank == 3);
	kx_req_shape_str(&r, shape, sizeof shape);
	CHECK(strcmp(shape, "[1, 2, 1]") == 0);

	/* numpy would refuse these shapes */
	CHECK(req(&r, "{\"x\": [[1, 2], [3]]}") == 0 && r.x_status == KX_X_RAGGED &&
	      strcmp(r.x_where, "x[1] has 1 elements where x[0] has 2") == 0);
	CHECK(req(&r, "{\"x\": [1, [2]]}") == 0 && r.x_status == KX_X_RAGGED);
	CHECK(req(&r, "{\"x\": [[1], 2]}") == 0 && r.x_status == KX_X_RAGGED);
	CHECK(req(&r, "{\"x\": [[], [1]]}") == 0 && r.x_status == KX_X_RAGGED);
	/* and these are not numbers */
	CHECK(req(&r, "{\"x\": [1, \"2\"]}") == 0 && r.x_status == KX_X_NOT_NUMBER && strcmp(r.x_where, "x[1] is not a number") == 0);
	CHECK(req(&r, "{\"x\": [[1, true]]}") == 0 && r.x_status == KX_X_NOT_NUMBER);
	CHECK(req(&r, "{\"x\": null}") == 0 && r.x_status == KX_X_NOT_LIST);
	CHECK(req(&r, "{\"x\": [1e39]}") == 0 && r.x_status == KX_X_RANGE);
	CHECK(req(&r, "{\"x\": [1e-40]}") == 0 && r.x_status == KX_X_OK);  /* subnormal */

	/* strings: escapes, surrogate pairs, UTF-8 */
	CHECK(req(&r, "{\"op\": \"hea\\u006cth\"}") == 0 && strcmp(r.op, "health") == 0);
	CHECK(req(&r, "{\"path\": \"a\\ud83d\\ude00b\"}") == 0 && strcmp(r.path, "a\xF0\x9F\x98\x80" "b") == 0);
	CHECK(req(&r, "{\"path\": \"caf\xC3\xA9\"}") == 0 && strcmp(r.path, "caf\xC3\xA9") == 0);
	CHECK(req(&r, "{\"path\": \"a\\u0000b\"}") == 0 && r.path_nul);
	CHECK(req(&r, "{\"path\": 5}") == 0 && r.path_bad && r.path == NULL);
	CHECK(req(&r, "{\"path\": \"\\ud800\"}") == -1);
	CHECK(req(&r, "{\"path\": \"\xC0\xAF\"}") == -1);      /* overlong */
	CHECK(req(&r, "{\"path\": \"\xED\xA0\x80\"}") == -1);  /* a surrogate in UTF-8 */
	CHECK(req(&r, "{\"path\": \"a\tb\"}") == -1);          /* raw control character */
	CHECK(req(&r, "{\"path\": \"\\x\"}") == -1);

	/* the last duplicate wins, as in Python */
	CHECK(req(&r, "{\"x\": [1], \"x\": [2, 3], \"op\": \"a\", \"op\": \"b\"}") == 0 && r.nx == 2 &&
	      r.x[0] == 2.0f && strcmp(r.op, "b") == 0);

	/* strict JSON */
	CHECK(req(&r, "{\"x\": [01]}") == -1);
	CHECK(req(&r, "{\"x\": [1.]}") == -1);
	CHECK(req(&r, "{\"x\": [.5]}") == -1);
	CHECK(req(&r, "{\"x\": [+1]}") == -1);
	CHECK(req(&r, "{\"x\": [1,]}") == -1);
	CHECK(req(&r, "{\"x\": [NaN]}") == -1);
	CHECK(req(&r, "{\"x\": [Infinity]}") == -1);
	CHECK(req(&r, "{\"x\": [1]} x") == -1);
	CHECK(req(&r, "{\"x\": [1]}{}") == -1);
	CHECK(req(&r, "{x: 1}") == -1);
	CHECK(req(&r, "[1]") == -1);
	CHECK(req(&r, "") == -1);
	CHECK(req(&r, "{\"id\": tru}") == -1);
	CHECK(req(&r, "{\"id\": {\"a\" 1}}") == -1);

	/* nesting is bounded everywhere, in x and elsewhere */
	for (i = 0; i < 100; i++)
		deep[i] = '[';
	deep[i] = '\0';
	{
		char doc[400];
		snprintf(doc, sizeof doc, "{\"id\": %s}", deep);
		CHECK(req(&r, doc) == -1);
		snprintf(doc, sizeof doc, "{\"x\": %s}", deep);
		CHECK(req(&r, doc) == -1);
	}
	kx_req_free(&r);
}

/* ---- kanx YAML configs (yamlcfg.c) ---- */

static struct kx_kancfg *
cfg(const char *text, struct kx_diags *d)
{
	struct kx_limits lim;
	struct kx_kancfg *c = NULL;
	struct kx_err e;
	const char *msg;

	kx_limits_init(&lim, &msg);
	kx_diags_free(d);
	kx_err_clear(&e);
	if (kx_kancfg_read_mem("t.yaml", text, strlen(text), &lim, &c, d, &e) != 0)
		return NULL;
	return c;
}

static int
first_msg(const struct kx_diags *d, unsigned long line, unsigned long col, const char *msg)
{
	return d->n > 0 && d->v[0].line == line && d->v[0].col == col && strcmp(d->v[0].msg, msg) == 0;
}

static void
test_yamlcfg(void)
{
	struct kx_diags d;
	struct kx_kancfg *c;

	kx_diags_init(&d);
	c = cfg("model:\n  layers: [3, 16, 2]\n", &d);
	CHECK(c && d.n == 0);
	CHECK(c && c->n_layers == 3 && c->layers[0] == 3 && c->layers[1] == 16 && c->layers[2] == 2);
	/* the library's defaults */
	CHECK(c && c->grid_size == 5 && c->spline_order == 3 && c->act == KX_ACT_SILU &&
	      c->grid_range[0] == -1.0 && c->grid_range[1] == 1.0);
	CHECK(c && c->lr == 1e-3 && c->epochs == 50 && c->batch_size == 32 && c->val_split == 0.0 &&
	      c->seed == 42 && c->save_best_only == 1 && strcmp(c->ckpt_filename, "kanx_model.keras") == 0);
	CHECK(c && c->at_layers.line == 2 && c->at_layers.col == 11 && !c->at_layers.dflt && c->at_grid_size.dflt);
	kx_kancfg_free(c);

	c = cfg("model:\n  layers: [2, 1]\n  grid_size: 0x0A\n  spline_order: '2'\n  base_activation: swish\n"
	        "  grid_range: [-2, 3.5]\ntraining: {lr: 1e-2, epochs: 1_0, val_split: .5, seed: -7}\n"
	        "checkpoint: {save_best_only: off}\n", &d);
	CHECK(c && d.n == 0);
	CHECK(c && c->grid_size == 10 && c->spline_order == 2 && c->act == KX_ACT_SILU &&
	      c->grid_range[0] == -2.0 && c->grid_range[1] == 3.5);
	CHECK(c && c->lr == 1e-2 && c->epochs == 10 && c->val_split == 0.5 && c->seed == -7 && c->save_best_only == 0);
	kx_kancfg_free(c);

	/* Python's repr in "got ..." */
	c = cfg("model:\n  layers: [2, 1.0e-5]\n", &d);
	CHECK(c == NULL && first_msg(&d, 2, 15, "model.layers entries must be positive ints, got 1e-05"));
	c = cfg("model:\n  layers: [2, 1.0e+16]\n", &d);
	CHECK(c == NULL && first_msg(&d, 2, 15, "model.layers entries must be positive ints, got 1e+16"));
	c = cfg("model:\n  layers: [2, 123456789.0]\n", &d);
	CHECK(c == NULL && first_msg(&d, 2, 15, "model.layers entries must be positive ints, got 123456789.0"));
	c = cfg("model:\n  layers: [2, ~, \"it's\", [1], {a: b}, no]\n", &d);
	CHECK(c == NULL && d.errors == 5);
	CHECK(d.n == 5 && strcmp(d.v[0].msg, "model.layers entries must be positive ints, got None") == 0 &&
	      strcmp(d.v[1].msg, "model.layers entries must be positive ints, got \"it's\"") == 0 &&
	      strcmp(d.v[2].msg, "model.layers entries must be positive ints, got [1]") == 0 &&
	      strcmp(d.v[3].msg, "model.layers entries must be positive ints, got {'a': 'b'}") == 0 &&
	      strcmp(d.v[4].msg, "model.layers entries must be positive ints, got False") == 0);

	/* int() and float() as Python does them */
	c = cfg("model:\n  layers: [2, 1]\n  grid_size: ~\n", &d);
	CHECK(c == NULL && first_msg(&d, 3, 14, "model.grid_size: int() argument must be a string, a bytes-like object "
	                             "or a real number, not 'NoneType'"));
	c = cfg("model:\n  layers: [2, 1]\ntraining:\n  lr: abc\n", &d);
	CHECK(c == NULL && first_msg(&d, 4, 7, "training.lr: could not convert string to float: 'abc'"));
	c = cfg("model:\n  layers: [2, 1]\n  spline_order: .inf\n", &d);
	CHECK(c == NULL && first_msg(&d, 3, 17, "model.spline_order: cannot convert float infinity to integer"));

	/* syntax errors carry libyaml's position */
	c = cfg("model: [1, 2\n", &d);
	CHECK(c == NULL && d.n == 1 && d.v[0].line == 2 && d.v[0].col == 1);
	c = cfg("model:\n\tlayers: [2, 1]\n", &d);   /* a tab cannot indent */
	CHECK(c == NULL && d.n == 1 && d.v[0].line == 2);

	/* a recursive alias is refused, not followed forever */
	c = cfg("a: &a [1, *a]\nmodel:\n  layers: [2, 1]\n", &d);
	CHECK(c == NULL && d.n == 1 && strstr(d.v[0].msg, "recursive alias 'a'") != NULL);
	/* an unknown tag is refused, as yaml.safe_load would */
	c = cfg("model:\n  layers: !!python/tuple [2, 1]\n", &d);
	CHECK(c == NULL && d.errors >= 1);
	kx_diags_free(&d);
}

/* Splitting a batch over threads gives the same numbers as one thread. */
static void
test_threads(const char *srcdir)
{
	struct kx_limits lim;
	struct kx_err e;
	struct kx_model *m;
	struct kx_work *w1, *w2;
	const char *msg;
	char path[1024];
	size_t n = 1000, i, bad = 0;
	float *x, *y1, *y2;

	kx_limits_init(&lim, &msg);
	snprintf(path, sizeof path, "%s/tests/fixtures/models/bench16.keras", srcdir);
	m = kx_model_load(path, &lim, &e);
	CHECK(m != NULL);
	if (!m)
		return;
	x = malloc(n * m->in * sizeof *x);
	y1 = malloc(n * m->out * sizeof *y1);
	y2 = malloc(n * m->out * sizeof *y2);
	for (i = 0; i < n * m->in; i++)
		x[i] = (float)((i * 2654435761u) % 2001) / 1000.0f - 1.0f;
	kx_kernel_threads(1);
	w1 = kx_work_new(m, n);
	kx_kernel_threads(2);
	w2 = kx_work_new(m, n);
	kx_model_forward(m, w1, x, n, y1);
	kx_model_forward(m, w2, x, n, y2);
	for (i = 0; i < n * m->out; i++)
		if (fabsf(y1[i] - y2[i]) > 1e-6f * (1.0f + fabsf(y1[i])))
			bad++;
	CHECK(bad == 0);
	CHECK(kx_model_forward(m, w2, x, n + 1, y2) == -1);
	/* batches smaller than the work's maximum, down to one row, and one
	 * just over what a single thread's share would hold */
	{
		size_t sizes[] = { 1, 31, 63, 64, 501, 999 }, si;
		for (si = 0; si < 6; si++) {
			size_t nn = sizes[si];
			for (i = 0; i < nn * m->out; i++)
				y2[i] = NAN;
			CHECK(kx_model_forward(m, w2, x, nn, y2) == 0);
			for (i = 0, bad = 0; i < nn * m->out; i++)
				if (!(fabsf(y1[i] - y2[i]) <= 1e-6f * (1.0f + fabsf(y1[i]))))
					bad++;
			CHECK(bad == 0);
		}
	}
	/* a small work area split over 2 threads (50 rows each) given a batch
	 * of 56 rows: too many for one share, too few to split for speed */
	kx_work_free(w2);
	w2 = kx_work_new(m, 100);
	CHECK(kx_model_forward(m, w2, x, 56, y2) == 0);
	for (i = 0, bad = 0; i < 56 * m->out; i++)
		if (!(fabsf(y1[i] - y2[i]) <= 1e-6f * (1.0f + fabsf(y1[i]))))
			bad++;
	CHECK(bad == 0);
	kx_kernel_threads(1);
	kx_work_free(w1);
	kx_work_free(w2);
	free(x);
	free(y1);
	free(y2);
	kx_model_free(m);
}

/* kx_act_expf stays within a few ulp of expf over the whole clamped range. */
static void
test_expf(void)
{
	float x, worst = 0.0f;

	for (x = -87.0f; x <= 88.0f; x += 0.000731f) {
		float a = kx_act_expf(x), b = expf(x);
		float rel = fabsf(a - b) / b;
		if (rel > worst)
			worst = rel;
	}
	CHECK(worst < 3.0e-7f);
	if (worst >= 3.0e-7f)
		printf("not ok: kx_act_expf worst relative error %g\n", worst);
}

/* ---- predict's readers and writers -------------------------------------- */

/* Write TEXT to DIR/NAME and return the path (static buffer). */
static const char *
put_file(const char *dir, const char *name, const char *text, size_t len)
{
	static char path[512];
	FILE *f;

	snprintf(path, sizeof path, "%s/%s", dir, name);
	f = fopen(path, "wb");
	if (f) {
		fwrite(text, 1, len, f);
		fclose(f);
	}
	return path;
}

/* Read all of PATH into b (target 64 rows); returns the last fill status. */
static int
read_all(const char *path, struct kx_rows_opts *o, struct kx_batch *b, struct kx_err *e,
         enum kx_in_fmt *fmt)
{
	struct kx_rows *r = kx_rows_open(path, o, e);
	int st;

	if (!r)
		return -1;
	do
		st = kx_rows_fill(r, b, e);
	while (st == KX_FILL_READY && b->n < b->target);
	if (fmt)
		*fmt = kx_rows_format(r);
	kx_rows_close(r);
	return st;
}

static void
test_rows(void)
{
	char tmpl[] = "/tmp/kanx-unit-XXXXXX";
	const char *dir = mkdtemp(tmpl), *p;
	struct kx_limits lim;
	struct kx_rows_opts o;
	struct kx_batch b;
	struct kx_err e;
	enum kx_in_fmt fmt;
	const char *msg;
	static const char csv[] = "\xef\xbb\xbfk,f0,f1\r\n\"a,\"\"b\"\"\",1.5,-2\r\nplain, 3 ,4e-1\r\n";
	static const char jl[] = "[1,2]\n\n{\"id\":{\"q\": [1, 2]},\"x\":[[3,4],[5,6]]}\n{\"x\":[7,8],\"id\":\"\\u00e9\"}\n";

	CHECK(dir != NULL);
	if (!dir)
		return;
	kx_limits_init(&lim, &msg);
	memset(&o, 0, sizeof o);
	o.header = -1;
	o.in = 2;
	o.lim = &lim;

	/* CSV: BOM, CRLF, quotes, spaces, an id column by name */
	o.id = "k";
	p = put_file(dir, "a.csv", csv, sizeof csv - 1);
	CHECK(kx_batch_init(&b, 2, 1, 64, lim.max_batch, &e) == 0);
	CHECK(read_all(p, &o, &b, &e, &fmt) == KX_FILL_EOF);
	CHECK(fmt == KX_IN_CSV);
	CHECK(b.n == 2 && b.n_recs == 2);
	CHECK(b.x[0] == 1.5f && b.x[1] == -2.0f && b.x[2] == 3.0f && b.x[3] == 0.4f);
	CHECK(b.recs[0].id_kind == KX_ID_TEXT && b.recs[0].id_len == 5 &&
	      memcmp(b.ids + b.recs[0].id_off, "a,\"b\"", 5) == 0);
	CHECK(b.recs[1].line == 3 && b.recs[1].id_len == 5);
	kx_batch_fini(&b);
	o.id = NULL;

	/* JSON lines sniffed without an extension: forms, ranks, ids */
	p = put_file(dir, "b", jl, sizeof jl - 1);
	CHECK(kx_batch_init(&b, 2, 1, 64, lim.max_batch, &e) == 0);
	CHECK(read_all(p, &o, &b, &e, &fmt) == KX_FILL_EOF);
	CHECK(fmt == KX_IN_JSONL);
	CHECK(b.n == 4 && b.n_recs == 3);
	CHECK(b.recs[0].form == KX_FORM_ARRAY && b.recs[0].rank == 1 && b.recs[0].id_kind == KX_ID_NONE);
	CHECK(b.recs[1].form == KX_FORM_OBJECT && b.recs[1].rank == 2 && b.recs[1].n == 2 &&
	      b.recs[1].line == 3);
	CHECK(b.recs[1].id_kind == KX_ID_JSON && b.recs[1].id_len == 11 &&
	      memcmp(b.ids + b.recs[1].id_off, "{\"q\":[1,2]}", 11) == 0);
	CHECK(b.recs[2].id_kind == KX_ID_TEXT && b.recs[2].id_len == 2 &&
	      memcmp(b.ids + b.recs[2].id_off, "\xc3\xa9", 2) == 0);
	CHECK(b.x[6] == 7.0f && b.x[7] == 8.0f);
	kx_batch_fini(&b);

	/* a refused record leaves the batch as it was before it */
	p = put_file(dir, "c.jsonl", "[1,2]\n[[3,4],[5]]\n[6,7]\n", 24);
	CHECK(kx_batch_init(&b, 2, 1, 64, lim.max_batch, &e) == 0);
	{
		struct kx_rows *r = kx_rows_open(p, &o, &e);
		size_t len;
		const char *t;
		CHECK(r && kx_rows_fill(r, &b, &e) == KX_FILL_REJECT);
		CHECK(b.n == 1 && b.n_recs == 1 && e.code == 5 && e.status == 400);
		CHECK(strstr(e.msg, "c.jsonl:2:8: record 2: x[1]: Expected 2 features per sample, got 1") != NULL);
		t = kx_rows_reject(r, &len);
		CHECK(len == 11 && memcmp(t, "[[3,4],[5]]", 11) == 0);
		CHECK(kx_rows_fill(r, &b, &e) == KX_FILL_EOF && b.n == 2 && b.x[2] == 6.0f);
		CHECK(kx_rows_accepted(r) == 2 && kx_rows_rejected(r) == 1);
		kx_rows_close(r);
	}
	kx_batch_fini(&b);

	/* an API document over several lines; 413 past the max batch */
	p = put_file(dir, "d", "{\n \"x\": [[1,2],\n  [3,4],\n  [5,6]]\n}\n", 36);
	CHECK(kx_batch_init(&b, 2, 1, 64, lim.max_batch, &e) == 0);
	CHECK(read_all(p, &o, &b, &e, &fmt) == KX_FILL_EOF && fmt == KX_IN_API);
	CHECK(b.n == 3 && b.n_recs == 1 && b.recs[0].form == KX_FORM_API);
	kx_batch_reset(&b);
	lim.max_batch = 2;
	CHECK(read_all(p, &o, &b, &e, NULL) == KX_FILL_REJECT && e.code == 6 && e.status == 413);
	CHECK(strstr(e.msg, "d:2:7: batch of 3 rows exceeds the max batch of 2 (413)") != NULL);
	kx_batch_fini(&b);

	remove(put_file(dir, "a.csv", "", 0));
	remove(put_file(dir, "b", "", 0));
	remove(put_file(dir, "c.jsonl", "", 0));
	remove(put_file(dir, "d", "", 0));
	rmdir(dir);
}

static void
test_output(void)
{
	struct kx_batch b;
	struct kx_err e;
	struct kx_out *o;
	char *text = NULL;
	size_t len = 0;
	FILE *f;

	/* two records: a text id needing quotes, and one without an id */
	CHECK(kx_batch_init(&b, 1, 2, 4, 4, &e) == 0);
	b.n = 2;
	b.n_recs = 2;
	b.recs = calloc(2, sizeof *b.recs);
	b.ids = malloc(16);
	if (!b.recs || !b.ids)
		return;
	memcpy(b.ids, "a,\"b\"\n", 6);
	b.recs[0] = (struct kx_rec){ 0, 1, 1, 0, 6, KX_FORM_ROW, 1, KX_ID_TEXT };
	b.recs[1] = (struct kx_rec){ 1, 1, 2, 0, 0, KX_FORM_ROW, 1, KX_ID_NONE };
	b.y[0] = 0.1f;
	b.y[1] = -2.5e-8f;
	b.y[2] = 1.0f / 3.0f;
	b.y[3] = NAN;

	f = open_memstream(&text, &len);
	o = kx_out_new(f, KX_OUT_CSV, 2, 0, 1);
	CHECK(o && kx_out_set_id(o, "key") == 0);
	CHECK(kx_out_batch(o, &b, 0) == 0 && kx_out_flush(o) == 0);
	fclose(f);
	CHECK(text && strcmp(text, "key,y0,y1\n\"a,\"\"b\"\"\n\",0.1,-2.5e-08\n,0.33333334,nan\n") == 0);
	kx_out_free(o);
	free(text);

	f = open_memstream(&text, &len);
	o = kx_out_new(f, KX_OUT_JSONL, 2, 3, 1);
	CHECK(kx_out_batch(o, &b, 0) == 0 && kx_out_flush(o) == 0);
	fclose(f);
	CHECK(text && strcmp(text, "{\"id\":\"a,\\\"b\\\"\\n\",\"y\":[0.1,-2.5e-08]}\n[0.333,null]\n") == 0);
	kx_out_free(o);
	free(text);

	f = open_memstream(&text, &len);
	o = kx_out_new(f, KX_OUT_API, 2, 0, 1);
	CHECK(kx_out_batch(o, &b, 1.5) == 0 && kx_out_flush(o) == 0);
	fclose(f);
	CHECK(text && strcmp(text, "{\"output\":[[0.1,-2.5e-08],[0.33333334,null]],\"shape\":[2,2],"
	                           "\"inference_ms\":1.500}\n") == 0);
	kx_out_free(o);
	free(text);
	kx_batch_fini(&b);
}

int
main(void)
{
	const char *srcdir = getenv("KANX_SRCDIR");

	if (!srcdir)
		srcdir = ".";
	test_limits();
	test_nearest();
	test_fixtures(srcdir);
	test_kernels();
	test_request();
	test_yamlcfg();
	test_expf();
	test_threads(srcdir);
	test_rows();
	test_output();
	printf("%d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
