/* tests/unit_plot.c - unit tests: inspect's pictures (plot.c). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <unistd.h>

#include "err.h"
#include "plot.h"
#include "sink.h"
#include "unit.h"

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

void
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
