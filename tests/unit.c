/* tests/unit.c - C unit tests: limits, cli helpers, kernels, number text.
 * Prints TAP-like lines and "N passed, N failed" at the end. */
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <dirent.h>
#include <unistd.h>
#include <stdlib.h>

#include "act.h"
#include "cli.h"
#include "json.h"
#include "kernel.h"
#include "kxlimits.h"
#include "model.h"
#include "numfmt.h"
#include "request.h"
#include "yamlcfg.h"
#include "output.h"
#include "plot.h"
#include "rows.h"
#include "shard.h"
#include "sink.h"
#include "testutil.h"
#include "typo.h"

static int passed, failed;

#define CHECK(cond) do { if (cond) passed++; else { failed++; \
	printf("not ok: %s:%d: %s\n", __FILE__, __LINE__, #cond); } } while (0)
/* A string literal as the (start, end) pair the scanners take. */
#define SPAN(lit) (lit), (lit) + sizeof(lit) - 1

static void
test_grow(void)
{
	int *v = NULL, *keep;
	size_t cap = 0;

	CHECK(kx_grow(&v, &cap, 0, sizeof *v) == 0 && v == NULL && cap == 0);
	CHECK(kx_grow(&v, &cap, 1, sizeof *v) == 0 && v != NULL && cap == 8);
	v[7] = 7;
	CHECK(kx_grow(&v, &cap, 9, sizeof *v) == 0 && cap == 16 && v[7] == 7);
	CHECK(kx_grow(&v, &cap, 100, sizeof *v) == 0 && cap == 100);
	/* the bound: never past max, and a need over it fails, leaving the array */
	CHECK(kx_grow_max(&v, &cap, 101, 150, sizeof *v) == 0 && cap == 150);
	keep = v;
	CHECK(kx_grow_max(&v, &cap, 151, 150, sizeof *v) == -1 && v == keep && cap == 150);
	/* the byte count overflows */
	CHECK(kx_grow(&v, &cap, SIZE_MAX / 2, sizeof *v) == -1 && v == keep && cap == 150);
	CHECK(v[7] == 7);
	free(v);
}

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

	CHECK(strcmp(kx_typo_nearest("predcit", cmds), "predict") == 0);
	CHECK(strcmp(kx_typo_nearest("serve", cmds), "serve-stdin") == 0);
	CHECK(kx_typo_nearest("zzzzzzzzzz", cmds) == NULL);
	CHECK(kx_typo_nearest("", cmds) == NULL);
	{
		/* one letter wrong in a word of KX_TYPO_MAX_LEN bytes, then one more */
		char w[KX_TYPO_MAX_LEN + 2], t[KX_TYPO_MAX_LEN + 2];
		const char *list[] = { w, NULL };

		memset(w, 'a', KX_TYPO_MAX_LEN);
		w[KX_TYPO_MAX_LEN] = '\0';
		memcpy(t, w, sizeof t);
		t[0] = 'b';
		CHECK(kx_typo_nearest(t, list) == w);
		w[KX_TYPO_MAX_LEN] = 'a';
		w[KX_TYPO_MAX_LEN + 1] = '\0';
		t[KX_TYPO_MAX_LEN] = 'a';
		t[KX_TYPO_MAX_LEN + 1] = '\0';
		CHECK(kx_typo_nearest(t, list) == NULL);
	}
}

/* kx_json_strict: 0 for text Python's json reads as cJSON does; else the
 * byte offset of the first problem, and a word of its message. */
static int
json_fails_at(const char *text, size_t off, const char *word)
{
	struct kx_json_fault f;
	size_t start;
	int r = kx_json_strict(text, strlen(text), 64, &start, &f);

	if (off == (size_t)-1)
		return r == 0;
	return r == -1 && f.off == off && strstr(f.msg, word) != NULL;
}

static void
test_json(void)
{
	char big[40000];
	size_t i, o = 0, line, col;

	CHECK(json_fails_at("{\"a\": [1, -0.5e+3, 0, true, null, \"\\u00e9\\ud83d\\ude00\"]}", (size_t)-1, ""));
	CHECK(json_fails_at("\xef\xbb\xbf {\"a\": 1}\r\n", (size_t)-1, ""));
	CHECK(json_fails_at("{\"a\": {\"b\": 1}, \"c\": {\"b\": 2}}", (size_t)-1, ""));  /* same key, other objects */
	CHECK(json_fails_at("{\"a\": 1, \"b\": 2, \"a\": 3}", 17, "duplicate key 'a'"));
	CHECK(json_fails_at("[{\"x\": {\"k\": 1, \"\\u006b\": 2}}]", 16, "duplicate key 'k'"));
	/* a raw character and its escaped surrogate pair are one key */
	CHECK(json_fails_at("{\"\xf0\x9f\x98\x80\": 1, \"\\ud83d\\ude00\": 2}", 12, "duplicate key"));
	CHECK(json_fails_at("{\"a\\u0000b\": 1}", 3, "\\u0000"));
	CHECK(json_fails_at("[\"\\udc00\"]", 2, "lone surrogate"));
	CHECK(json_fails_at("[\"\\ud800x\"]", 2, "lone surrogate"));
	CHECK(json_fails_at("[01]", 1, "invalid number"));
	CHECK(json_fails_at("[1.]", 1, "invalid number"));
	CHECK(json_fails_at("[-.5]", 1, "invalid number"));
	CHECK(json_fails_at("[1e]", 1, "invalid number"));
	CHECK(json_fails_at("[NaN]", 1, "expecting a value"));
	CHECK(json_fails_at("{} {}", 3, "extra data"));
	CHECK(json_fails_at("[1,\x0b" "2]", 3, "expecting a value"));
	CHECK(json_fails_at("[\"a\tb\"]", 3, "control character"));
	CHECK(json_fails_at("[\"\xc0\xaf\"]", 2, "UTF-8"));
	CHECK(json_fails_at("[\"\xed\xa0\x80\"]", 2, "UTF-8"));
	CHECK(json_fails_at("[\"\xf4\x90\x80\x80\"]", 2, "UTF-8"));
	CHECK(json_fails_at("[\"\xe2\x82\"]", 2, "UTF-8"));
	CHECK(json_fails_at("[[[[1]]]]", (size_t)-1, ""));
	{
		struct kx_json_fault f;
		size_t start;
		CHECK(kx_json_strict("[[[1]]]", 7, 2, &start, &f) == -1 && strstr(f.msg, "deeper than 2"));
	}
	/* 2000 distinct keys, then one repeated: found, at the repeat */
	o += (size_t)snprintf(big + o, sizeof big - o, "{");
	for (i = 0; i < 2000; i++)
		o += (size_t)snprintf(big + o, sizeof big - o, "\"k%zu\": %zu, ", i, i);
	CHECK(json_fails_at(big, (size_t)-1, "") == 0);   /* "{... , " is cut short */
	snprintf(big + o, sizeof big - o, "\"k1999\": 0}");
	CHECK(json_fails_at(big, o, "duplicate key 'k1999'"));
	big[o] = '\0';
	snprintf(big + o, sizeof big - o, "\"k2000\": 0}");
	CHECK(json_fails_at(big, (size_t)-1, ""));
	/* positions count characters, not bytes */
	kx_text_pos("a\n\xc3\xa9\xc3\xa9x", 7, 6, &line, &col);
	CHECK(line == 2 && col == 3);
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
	static const size_t Gs[] = { 1, 3, 5, 20 }, ks[] = { 1, 2, 3, 5 };
	size_t gi, ki, rep;

	for (gi = 0; gi < 4; gi++)
		for (ki = 0; ki < 4; ki++)
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
					CHECK(l->uniform == 0 && l->closed == 0);
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
	CHECK(m5->layers[0].sparse_w == NULL && m5->layers[0].tiled != NULL);
	CHECK(m20->layers[0].sparse_w != NULL && m20->layers[0].tiled == NULL);
	/* an infinite weight: the dense path, and the reference's NaNs */
	kx_panel_sparse = 1;
	m20->layers[0].spline_w[5] = INFINITY;
	CHECK(kx_layer_prepare(m20, &m20->layers[0]) == 0);
	CHECK(m20->layers[0].sparse_w == NULL && m20->layers[0].tiled != NULL);
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

/* ---- pictures (plot.c) ---- */

/* Write a picture with fn into a temporary file; return its text. */
static char *
svg_of(int (*fn)(struct kx_sink *, const void *), const void *ctx)
{
	FILE *f = tmpfile();
	struct kx_sink s;
	char *buf = NULL;
	long len;

	if (!f)
		return NULL;
	kx_sink_init(&s, fileno(f), "tmp");
	if (fn(&s, ctx) == 0 && kx_sink_flush(&s) == 0 && (len = lseek(fileno(f), 0, SEEK_END)) > 0 &&
	    (buf = malloc((size_t)len + 1)) && pread(fileno(f), buf, (size_t)len, 0) == len)
		buf[len] = '\0';
	else {
		free(buf);
		buf = NULL;
	}
	kx_sink_fini(&s);
	fclose(f);
	return buf;
}

static int
ov_fn(struct kx_sink *s, const void *m)
{
	struct kx_err e;
	return kx_plot_overview(s, m, &e);
}

struct edges_ctx {
	const struct kx_model *m;
	size_t layer, top;
};

static int
edges_fn(struct kx_sink *s, const void *p)
{
	const struct edges_ctx *c = p;
	struct kx_edge_sel sel = { c->layer, 0, 0, 0, 0 };
	struct kx_edge *v;
	size_t n, total;
	struct kx_err e;
	int r = kx_edges_pick(c->m, &sel, c->top, &v, &n, &total, &e);

	if (r == 0)
		r = kx_plot_edges(s, c->m, c->layer, v, n, total, 201, &e);
	free(v);
	return r;
}

static size_t
count_of(const char *s, const char *what)
{
	size_t n = 0;

	while ((s = strstr(s, what))) {
		n++;
		s += strlen(what);
	}
	return n;
}

/* The SVG's width and height attributes within bounds, no NaN or infinity
 * among its numbers. */
static int
svg_bounded(const char *svg, double maxw, double maxh)
{
	const char *p;
	double w, h;

	if (!svg || !(p = strstr(svg, "<svg ")) || sscanf(strstr(p, "width=\"") + 7, "%lf", &w) != 1 ||
	    sscanf(strstr(p, "height=\"") + 8, "%lf", &h) != 1)
		return 0;
	if (strstr(svg, "nan") || strstr(svg, "inf"))
		return 0;
	return w > 0 && h > 0 && w <= maxw && h <= maxh;
}

static void
test_plot(void)
{
	/* wide, deep and tiny models, fresh weights; one with a weight that
	 * makes phi infinite */
	static const size_t wide[] = { 3, 1000, 40, 2 }, deep[61] = { 4 }, tiny[] = { 1, 1 };
	size_t widths[61], i, k, n, total;
	struct kx_err e;
	struct kx_model *m;
	struct kx_edge *v;
	struct kx_edge_sel sel;
	char *svg;

	m = kx_model_fresh(wide, 4, 5, 3, (struct kx_act){ .kind = KX_ACT_SILU }, -1.0f, 1.0f, 11, &e);
	CHECK(m != NULL);
	if (m) {
		svg = svg_of(ov_fn, m);
		CHECK(svg_bounded(svg, 2560, 1102));
		/* drawn: every layer within the per-layer cap */
		CHECK(svg && count_of(svg, "class=\"edge\"") <= 3 * KX_OVERVIEW_EDGES);
		CHECK(svg && count_of(svg, "class=\"column\"") == 4);
		free(svg);
		for (k = 1; k <= 2; k++) {
			struct edges_ctx c = { m, k, KX_PLOT_MAX_PANELS };
			svg = svg_of(edges_fn, &c);
			CHECK(svg_bounded(svg, 1700, 4000));
			CHECK(svg && count_of(svg, "class=\"panel\"") == (k == 1 ? KX_PLOT_MAX_PANELS : 80));
			free(svg);
		}
		/* most important first, the scores as kx_edge_score gives them */
		sel = (struct kx_edge_sel){ 2, 0, 0, 0, 0 };
		CHECK(kx_edges_pick(m, &sel, 50, &v, &n, &total, &e) == 0 && n == 50 && total == 80);
		for (i = 0; v && i < n; i++) {
			CHECK(v[i].score == kx_edge_score(&m->layers[2], v[i].in, v[i].out));
			if (i + 1 < n)
				CHECK(v[i].score >= v[i + 1].score);
		}
		free(v);
		sel = (struct kx_edge_sel){ 1, 1, 1, 1, 40 };  /* input 1, output 40: there is none */
		CHECK(kx_edges_pick(m, &sel, 0, &v, &n, &total, &e) == -1 && e.code == KX_EXIT_USAGE);
		CHECK(strstr(e.msg, "no output 40") != NULL);
		kx_model_free(m);
	}
	for (i = 0; i < 61; i++)
		widths[i] = deep[0];
	m = kx_model_fresh(widths, 61, 3, 2, (struct kx_act){ .kind = KX_ACT_SILU }, -1.0f, 1.0f, 12, &e);
	CHECK(m != NULL);
	if (m) {
		svg = svg_of(ov_fn, m);
		CHECK(svg_bounded(svg, 2560, 1102));
		CHECK(svg && count_of(svg, "class=\"column\"") == 61);
		free(svg);
		kx_model_free(m);
	}
	m = kx_model_fresh(tiny, 2, 5, 3, (struct kx_act){ .kind = KX_ACT_SILU }, -1.0f, 1.0f, 13, &e);
	CHECK(m != NULL);
	if (m) {
		struct edges_ctx c = { m, 0, 24 };
		m->layers[0].spline_w[2] = INFINITY;
		m->layers[0].spline_w[3] = -INFINITY;
		svg = svg_of(edges_fn, &c);
		CHECK(svg_bounded(svg, 1700, 4000));
		CHECK(svg && count_of(svg, "class=\"panel\"") == 1);
		free(svg);
		svg = svg_of(ov_fn, m);
		CHECK(svg_bounded(svg, 2560, 1102));
		free(svg);
		kx_model_free(m);
	}
	/* a grid spanning more than float range: x0 and x1 infinite */
	m = kx_model_fresh(tiny, 2, 5, 3, (struct kx_act){ .kind = KX_ACT_SILU }, -1.0f, 1.0f, 14, &e);
	CHECK(m != NULL);
	if (m) {
		struct edges_ctx c = { m, 0, 24 };
		for (k = 0; k <= 5; k++)
			m->layers[0].grid[k] = -3e38f + 1.2e38f * (float)k;
		CHECK(kx_layer_prepare(m, &m->layers[0]) == 0);
		svg = svg_of(edges_fn, &c);
		CHECK(svg_bounded(svg, 1700, 4000));
		free(svg);
		kx_model_free(m);
	}
	/* the --edges grammar */
	CHECK(kx_edge_sel_parse("3", &sel, &e) == 0 && sel.layer == 3 && !sel.has_in && !sel.has_out);
	CHECK(kx_edge_sel_parse("3:7", &sel, &e) == 0 && sel.has_in && sel.in == 7 && !sel.has_out);
	CHECK(kx_edge_sel_parse("3:7:2", &sel, &e) == 0 && sel.in == 7 && sel.has_out && sel.out == 2);
	CHECK(kx_edge_sel_parse("3::2", &sel, &e) == 0 && !sel.has_in && sel.has_out && sel.out == 2);
	CHECK(kx_edge_sel_parse("", &sel, &e) == -1);
	CHECK(kx_edge_sel_parse("3:", &sel, &e) == -1);
	CHECK(kx_edge_sel_parse("3::", &sel, &e) == -1);
	CHECK(kx_edge_sel_parse("3:1:", &sel, &e) == -1);
	CHECK(kx_edge_sel_parse("3:1:2:4", &sel, &e) == -1);
	CHECK(kx_edge_sel_parse("-1", &sel, &e) == -1);
	CHECK(kx_edge_sel_parse("1x", &sel, &e) == -1);
	CHECK(kx_edge_sel_parse("99999999999999999999", &sel, &e) == -1 && e.code == KX_EXIT_USAGE);
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

	/* a repeated key is refused, at the repeat, at any depth, as predict
	 * refuses it (text.h); the same key in two objects is none */
	{
		char err[200];
		size_t off;
		const char *d1 = "{\"x\": [1], \"x\": [2, 3]}", *d2 = "{\"x\": [1], \"id\": {\"a\": 1, \"\\u0061\": 2}}";
		CHECK(kx_req_parse(&r, d1, strlen(d1), 64, err, sizeof err, &off) == -1 && off == 11 &&
		      strcmp(err, "Duplicate key \"x\"") == 0);
		CHECK(kx_req_parse(&r, d2, strlen(d2), 64, err, sizeof err, &off) == -1 && off == 26 &&
		      strcmp(err, "Duplicate key \"a\"") == 0);
	}
	CHECK(req(&r, "{\"op\": \"a\", \"op\": \"b\"}") == -1);
	CHECK(req(&r, "{\"x\": [1], \"id\": {\"x\": 1}, \"m\": [{\"k\": 1}, {\"k\": 2}]}") == 0 && r.nx == 1);

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
	CHECK(c && c->grid_size == 5 && c->spline_order == 3 && c->act.kind == KX_ACT_SILU &&
	      c->grid_range[0] == -1.0 && c->grid_range[1] == 1.0);
	CHECK(c && c->lr == 1e-3 && c->epochs == 50 && c->batch_size == 32 && c->val_split == 0.0 &&
	      c->seed == 42 && c->save_best_only == 1 && strcmp(c->ckpt_filename, "kanx_model.keras") == 0);
	CHECK(c && c->at_layers.line == 2 && c->at_layers.col == 11 && !c->at_layers.dflt && c->at_grid_size.dflt);
	kx_kancfg_free(c);

	c = cfg("model:\n  layers: [2, 1]\n  grid_size: 0x0A\n  spline_order: '2'\n  base_activation: swish\n"
	        "  grid_range: [-2, 3.5]\ntraining: {lr: 1e-2, epochs: 1_0, val_split: .5, seed: -7}\n"
	        "checkpoint: {save_best_only: off}\n", &d);
	CHECK(c && d.n == 0);
	CHECK(c && c->grid_size == 10 && c->spline_order == 2 && c->act.kind == KX_ACT_SILU &&
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

/* kx_act_expf stays within a few ulp of expf over the range silu needs
 * it exact, and overflows to infinity where expf does. */
static void
test_expf(void)
{
	float x, worst = 0.0f;

	for (x = -86.0f; x <= 88.7f; x += 0.000731f) {
		float a = kx_act_expf(x), b = expf(x);
		float rel = fabsf(a - b) / b;
		if (rel > worst)
			worst = rel;
	}
	CHECK(worst < 3.0e-7f);
	if (worst >= 3.0e-7f)
		printf("not ok: kx_act_expf worst relative error %g\n", worst);
	CHECK(isinf(kx_act_expf(88.73f)) && isinf(kx_act_expf(1e30f)) && isinf(kx_act_expf(FLT_MAX)));
	CHECK(isfinite(kx_act_expf(88.72f)) && kx_act_expf(88.72f) > 3.3e38f);
	CHECK(kx_act_expf(-FLT_MAX) >= 0.0f && kx_act_expf(-FLT_MAX) < 1e-37f);
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

/* ---- --shard: K/N, the cuts, and the located ranges --------------------- */

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

static void
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

static void
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

static void
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

/* Output through a sink to a temporary file, read back as a string. */
static struct kx_sink cap_sink;

static FILE *
cap_begin(void)
{
	FILE *f = tmpfile();

	if (f)
		kx_sink_init(&cap_sink, fileno(f), "capture");
	return f;
}

static char *
cap_end(FILE *f)
{
	long n;
	char *text;

	kx_sink_fini(&cap_sink);
	if (!f || fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0)
		return NULL;
	text = calloc(1, (size_t)n + 1);
	if (text && fread(text, 1, (size_t)n, f) != (size_t)n) {
		free(text);
		text = NULL;
	}
	fclose(f);
	return text;
}

static void
test_output(void)
{
	struct kx_batch b;
	struct kx_err e;
	struct kx_out *o;
	char *text = NULL;
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

	f = cap_begin();
	o = kx_out_new(&cap_sink, KX_OUT_CSV, 2, 0, 1, 4);
	CHECK(o && kx_out_set_id(o, "key") == 0);
	CHECK(kx_out_batch(o, &b, 0) == 0 && kx_out_flush(o) == 0);
	CHECK(kx_out_rows_written(o) == 2);
	text = cap_end(f);
	CHECK(text && strcmp(text, "key,y0,y1\n\"a,\"\"b\"\"\n\",0.1,-2.5e-08\n,0.33333334,nan\n") == 0);
	kx_out_free(o);
	free(text);

	f = cap_begin();
	o = kx_out_new(&cap_sink, KX_OUT_JSONL, 2, 3, 1, 4);
	CHECK(kx_out_batch(o, &b, 0) == 0 && kx_out_flush(o) == 0);
	text = cap_end(f);
	CHECK(text && strcmp(text, "{\"id\":\"a,\\\"b\\\"\\n\",\"y\":[0.1,-2.5e-08]}\n[0.333,null]\n") == 0);
	kx_out_free(o);
	free(text);

	f = cap_begin();
	o = kx_out_new(&cap_sink, KX_OUT_API, 2, 0, 1, 4);
	CHECK(kx_out_batch(o, &b, 1.5) == 0 && kx_out_finish(o) == 0);
	text = cap_end(f);
	CHECK(text && strcmp(text, "{\"output\":[[0.1,-2.5e-08],[0.33333334,null]],\"shape\":[2,2],"
	                           "\"inference_ms\":1.500}\n") == 0);
	kx_out_free(o);
	free(text);

	/* API responses of exactly `group` rows whatever the batches were:
	 * 2 + 2 + 2 rows in groups of 4 are a response of 4 (written at once)
	 * and one of 2 (at the end); an API document closes the open group
	 * and is a response of its own */
	f = cap_begin();
	o = kx_out_new(&cap_sink, KX_OUT_API, 2, 1, 1, 4);
	CHECK(kx_out_batch(o, &b, 2.0) == 0 && kx_out_flush(o) == 0);
	CHECK(kx_out_rows_written(o) == 0);
	CHECK(kx_out_batch(o, &b, 2.0) == 0 && kx_out_flush(o) == 0);
	CHECK(kx_out_rows_written(o) == 4);
	CHECK(kx_out_batch(o, &b, 2.0) == 0);
	b.n_recs = 1;
	b.recs[0].form = KX_FORM_API;
	b.recs[0].n = 2;
	CHECK(kx_out_batch(o, &b, 1.0) == 0 && kx_out_finish(o) == 0);
	CHECK(kx_out_rows_written(o) == 8);
	text = cap_end(f);
	CHECK(text && strcmp(text,
	      "{\"output\":[[0.1,-3e-08],[0.3,null],[0.1,-3e-08],[0.3,null]],\"shape\":[4,2],\"inference_ms\":4.000}\n"
	      "{\"output\":[[0.1,-3e-08],[0.3,null]],\"shape\":[2,2],\"inference_ms\":2.000}\n"
	      "{\"output\":[[0.1,-3e-08],[0.3,null]],\"shape\":[2,2],\"inference_ms\":1.000}\n") == 0);
	kx_out_free(o);
	free(text);
	kx_batch_fini(&b);
}

/* ---- numfmt: number text ------------------------------------------------ */

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

static void
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
static void
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
static void
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

static void
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

static void
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

int
main(void)
{
	const char *srcdir = getenv("KANX_SRCDIR");

	if (!srcdir)
		srcdir = ".";
	test_limits();
	test_grow();
	test_nearest();
	test_json();
	test_numfmt_grammar();
	test_numfmt_scan();
	test_numfmt_scan_long();
	test_numfmt_parse();
	test_numfmt_format();
	/* the fast kernels each against Keras and the reference: BLIS
	 * everywhere, AVX2 where the CPU has it */
	CHECK(kx_kernel_select("no-such-kernel") == -1);
	{
		static const char *const kernels[] = { "blis", "avx2", "avx2" };
		static const int sparse[] = { -1, 0, 1 };
		size_t ki;
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
	test_plot();
	test_request();
	test_yamlcfg();
	test_expf();
	test_rows();
	test_output();
	test_shard_parse();
	test_shard_cut();
	test_shard_locate();
	printf("%d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
