/* plot.c - the edge functions of KAN layers for people (see plot.h). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kanx.h"
#include "kxlimits.h"
#include "numfmt.h"
#include "layer.h"
#include "plot.h"

/* ---- which edges, and how much each matters ------------------------- */

/* A decimal size at *p, up to hi; advances *p. */
static int
parse_index(const char **p, size_t *out)
{
	const char *s = *p;
	size_t v = 0;

	if (*s < '0' || *s > '9')
		return -1;
	for (; *s >= '0' && *s <= '9'; s++) {
		if (v > ((size_t)1 << 40))
			return -1;
		v = v * 10 + (size_t)(*s - '0');
	}
	*p = s;
	*out = v;
	return 0;
}

int
kx_edge_sel_parse(const char *s, struct kx_edge_sel *sel, struct kx_err *e)
{
	const char *p = s;

	memset(sel, 0, sizeof *sel);
	if (parse_index(&p, &sel->layer) != 0)
		goto bad;
	if (*p == ':') {
		p++;
		if (*p != ':' && *p != '\0') {
			if (parse_index(&p, &sel->in) != 0)
				goto bad;
			sel->has_in = 1;
		} else if (*p == '\0') {
			goto bad;
		}
		if (*p == ':') {
			p++;
			if (parse_index(&p, &sel->out) != 0)
				goto bad;
			sel->has_out = 1;
		}
	}
	if (*p == '\0')
		return 0;
bad:
	return kx_err_set(e, KX_EXIT_USAGE, "invalid value '%s' for --edges: expected LAYER, "
	                  "LAYER:IN, LAYER:IN:OUT or LAYER::OUT (numbers from 0)", s);
}

int
kx_edge_sel_check(const struct kx_model *m, const struct kx_edge_sel *sel, struct kx_err *e)
{
	const struct kx_layer *l;

	if (sel->layer >= m->n_layers)
		return kx_err_set(e, KX_EXIT_USAGE, "%s: no layer %zu (the model has %zu layers, numbered from 0)",
		                  m->path, sel->layer, m->n_layers);
	l = &m->layers[sel->layer];
	if (!kx_layer_as_kan(l))
		return kx_err_set(e, KX_EXIT_USAGE, "%s: layer %zu ('%s') is a %s layer, not a KAN layer: "
		                  "it has no edge functions", m->path, sel->layer, l->name, l->class_name);
	if (kx_act_is_rowwise(l->act))
		return kx_err_set(e, KX_EXIT_USAGE, "%s: layer %zu ('%s') has the row-wise base activation "
		                  "'%s': an edge's value depends on the other inputs, so it has no edge "
		                  "functions of one variable", m->path, sel->layer, l->name,
		                  kx_act_name(l->act));
	if (sel->has_in && sel->in >= l->in)
		return kx_err_set(e, KX_EXIT_USAGE, "%s: layer %zu has %zu inputs (0 to %zu): no input %zu",
		                  m->path, sel->layer, l->in, l->in - 1, sel->in);
	if (sel->has_out && sel->out >= l->out)
		return kx_err_set(e, KX_EXIT_USAGE, "%s: layer %zu has %zu outputs (0 to %zu): no output %zu",
		                  m->path, sel->layer, l->out, l->out - 1, sel->out);
	return 0;
}

void
kx_edge_range(const struct kx_layer *l, size_t i, float *x0, float *x1)
{
	const float *g = l->grid + i * (l->G + 1);
	float span = g[l->G] - g[0];

	*x0 = g[0] - 0.1f * span;
	*x1 = g[l->G] + 0.1f * span;
}

double
kx_edge_score(const struct kx_layer *l, size_t i, size_t o)
{
	const float *g = l->grid + i * (l->G + 1);
	float lo = g[0], hi = g[l->G];
	double sum = 0;
	size_t s;

	for (s = 0; s < KX_SCORE_POINTS; s++) {
		float x = lo + (hi - lo) * (float)s / (float)(KX_SCORE_POINTS - 1);
		sum += fabs((double)kx_kan_edge(l, i, o, x));
	}
	sum /= KX_SCORE_POINTS;
	return isfinite(sum) ? sum : 0;
}

/* Most important first; ties by input, then output. */
static int
by_score(const void *a, const void *b)
{
	const struct kx_edge *x = a, *y = b;

	if (x->score != y->score)
		return x->score > y->score ? -1 : 1;
	if (x->in != y->in)
		return x->in < y->in ? -1 : 1;
	return x->out < y->out ? -1 : x->out > y->out;
}

int
kx_edges_pick(const struct kx_model *m, const struct kx_edge_sel *sel, size_t top,
              struct kx_edge **edges, size_t *n, size_t *total, struct kx_err *e)
{
	const struct kx_layer *l;
	size_t i, o, i0, i1, o0, o1, k = 0, cnt;
	struct kx_edge *v;

	*edges = NULL;
	*n = *total = 0;
	if (kx_edge_sel_check(m, sel, e) != 0)
		return -1;
	l = &m->layers[sel->layer];
	i0 = sel->has_in ? sel->in : 0;
	i1 = sel->has_in ? sel->in + 1 : l->in;
	o0 = sel->has_out ? sel->out : 0;
	o1 = sel->has_out ? sel->out + 1 : l->out;
	if (kx_mul(i1 - i0, o1 - o0, &cnt) != 0 || !(v = kx_mallocarray(cnt ? cnt : 1, sizeof *v)))
		return kx_err_set(e, KX_EXIT_INTERNAL, "out of memory");
	for (i = i0; i < i1; i++)
		for (o = o0; o < o1; o++) {
			v[k].in = i;
			v[k].out = o;
			v[k].score = top ? kx_edge_score(l, i, o) : 0;
			k++;
		}
	if (top) {
		qsort(v, cnt, sizeof *v, by_score);
		if (cnt > top)
			cnt = top;
	}
	*edges = v;
	*n = cnt;
	*total = k;
	return 0;
}

int
kx_edges_csv(struct kx_sink *s, const struct kx_model *m, size_t layer,
             const struct kx_edge *edges, size_t n, size_t samples)
{
	const struct kx_layer *l = &m->layers[layer];
	char xb[KX_FLOAT_BUF], yb[KX_FLOAT_BUF];
	size_t k, j;

	kx_sink_printf(s, "layer,in,out,x,phi\n");
	for (k = 0; k < n; k++) {
		size_t i = edges[k].in, o = edges[k].out;
		float x0, x1;
		kx_edge_range(l, i, &x0, &x1);
		for (j = 0; j < samples; j++) {
			float x = x0 + (x1 - x0) * (float)j / (float)(samples - 1);
			kx_format_float(x, xb);
			kx_format_float(kx_kan_edge(l, i, o, x), yb);
			if (kx_sink_printf(s, "%zu,%zu,%zu,%s,%s\n", layer, i, o, xb, yb) != 0)
				return 0;  /* the sink holds the failure */
		}
	}
	return 0;
}

/* ---- SVG helpers ----------------------------------------------------- */

/* Text with &, <, > and " escaped. */
static void
svg_text(struct kx_sink *s, const char *t)
{
	const char *run = t;

	for (; *t; t++) {
		const char *esc = *t == '&' ? "&amp;" : *t == '<' ? "&lt;" : *t == '>' ? "&gt;" :
		                  *t == '"' ? "&quot;" : NULL;
		if (!esc)
			continue;
		kx_sink_put(s, run, (size_t)(t - run));
		kx_sink_printf(s, "%s", esc);
		run = t + 1;
	}
	kx_sink_put(s, run, (size_t)(t - run));
}

static void
svg_begin(struct kx_sink *s, double w, double h)
{
	kx_sink_printf(s, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	               "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%.0f\" height=\"%.0f\" "
	               "viewBox=\"0 0 %.0f %.0f\" font-family=\"DejaVu Sans, Verdana, sans-serif\">\n"
	               "<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n", w, h, w, h);
}

/* A step of 1, 2 or 5 times a power of ten near span/n. */
static double
nice_step(double span, int n)
{
	double raw = span / n, p, f;

	if (!(raw > 0) || !isfinite(raw))
		return 0;
	p = pow(10, floor(log10(raw)));
	f = raw / p;
	return (f < 1.5 ? 1 : f < 3.5 ? 2 : f < 7.5 ? 5 : 10) * p;
}

/* The label of tick v on an axis with ticks step apart: as many decimals
 * as the step needs, "0" for (nearly) zero, %g for extreme magnitudes. */
static void
tick_label(double v, double step, char *buf, size_t len)
{
	int dec = step >= 1 ? 0 : (int)ceil(-log10(step) - 1e-9);

	if (fabs(v) < step * 1e-6)
		v = 0;
	if (dec > 5 || fabs(v) >= 1e6)
		snprintf(buf, len, "%.3g", v);
	else
		snprintf(buf, len, "%.*f", dec, v);
}

/* An axis from the data range [lo, hi] with about n intervals between
 * ticks: with round set, widened to the nearest ticks (y); else kept (x).
 * Ticks: t0 + j*step for j < nt. */
struct axis {
	double lo, hi, t0, step;
	int nt;
};

static void
axis_make(struct axis *a, double lo, double hi, int round, int n)
{
	if (!isfinite(lo) || !isfinite(hi)) {
		lo = 0;
		hi = 0;
	}
	if (!(hi > lo)) {
		double d = fabs(lo) > 0 ? fabs(lo) * 0.1 : 1;
		lo -= d;
		hi += d;
	}
	a->step = nice_step(hi - lo, n);
	if (!(a->step > 0) || !isfinite(a->step) || (hi - lo) / a->step > 12) {
		a->lo = lo;
		a->hi = hi;
		a->t0 = lo;
		a->step = hi - lo;
		a->nt = isfinite(a->step) ? 2 : 0;
		return;
	}
	if (round) {
		lo = floor(lo / a->step) * a->step;
		hi = ceil(hi / a->step) * a->step;
	}
	a->lo = lo;
	a->hi = hi;
	a->t0 = ceil(lo / a->step - 1e-9) * a->step;
	a->nt = (int)floor((hi - a->t0) / a->step + 1e-9) + 1;
	if (a->nt > 13)
		a->nt = 13;
}

/* ---- the edge panels ------------------------------------------------- */

#define PANEL_W 200.0   /* a panel's cell */
#define PANEL_H 150.0
#define AREA_L 46.0     /* the plot area inside the cell */
#define AREA_R 8.0
#define AREA_T 22.0
#define AREA_B 30.0
#define MARGIN 12.0
#define HEAD_H 78.0
#define MAX_POINTS 1000

/* A coordinate that prints as a number: a grid or a curve beyond float
 * range leaves no NaN or infinity in the SVG. */
static double
cl(double v)
{
	return isfinite(v) ? fmax(-1e6, fmin(1e6, v)) : 0;
}

static void
draw_panel(struct kx_sink *s, const struct kx_layer *l, const struct kx_edge *ed,
           const float *ys, size_t np, double cx, double cy, const struct axis *ya, int ylabels)
{
	const float *g = l->grid + ed->in * (l->G + 1);
	double ax = cx + AREA_L, ay = cy + AREA_T, aw = PANEL_W - AREA_L - AREA_R, ah = PANEL_H - AREA_T - AREA_B;
	float x0, x1;
	struct axis xa;
	char lab[64];
	size_t j, run = 0;
	int t;

#define PX(x) cl(ax + ((x) - xa.lo) / (xa.hi - xa.lo) * aw)
#define PY(y) cl(ay + ah - ((y) - ya->lo) / (ya->hi - ya->lo) * ah)
	kx_edge_range(l, ed->in, &x0, &x1);
	axis_make(&xa, x0, x1, 0, 4);
	kx_sink_printf(s, "<g class=\"panel\" id=\"edge-%zu-%zu\" data-score=\"%.9g\">\n", ed->in, ed->out, ed->score);
	kx_sink_printf(s, "<text x=\"%.1f\" y=\"%.1f\" font-size=\"11\">in %zu &#8594; out %zu</text>\n",
	               ax, cy + 14, ed->in, ed->out);
	kx_sink_printf(s, "<text class=\"score\" x=\"%.1f\" y=\"%.1f\" font-size=\"10\" fill=\"#666\" "
	               "text-anchor=\"end\">%.3g</text>\n", ax + aw, cy + 14, ed->score);
	kx_sink_printf(s, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"white\" stroke=\"#999\"/>\n",
	               ax, ay, aw, ah);
	/* outside the grid: extrapolated */
	kx_sink_printf(s, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"#eee\"/>\n"
	               "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"#eee\"/>\n",
	               ax + 0.5, ay + 0.5, fmax(0, PX(g[0]) - ax - 0.5), ah - 1,
	               PX(g[l->G]), ay + 0.5, fmax(0, ax + aw - PX(g[l->G]) - 0.5), ah - 1);
	/* y ticks: grid lines, values on the row's first panel */
	for (t = 0; t < ya->nt; t++) {
		double v = ya->t0 + t * ya->step, py = PY(v);
		kx_sink_printf(s, "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"%s\"/>\n",
		               ax, ax + aw, py, py, fabs(v) < ya->step * 1e-6 ? "#888" : "#ddd");
		if (ylabels) {
			tick_label(v, ya->step, lab, sizeof lab);
			kx_sink_printf(s, "<text class=\"tick\" x=\"%.1f\" y=\"%.1f\" font-size=\"10\" "
			               "text-anchor=\"end\">%s</text>\n", ax - 4, py + 3.5, lab);
		}
	}
	/* x ticks with values */
	for (t = 0; t < xa.nt; t++) {
		double v = xa.t0 + t * xa.step, px = PX(v);
		tick_label(v, xa.step, lab, sizeof lab);
		kx_sink_printf(s, "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"#555\"/>\n"
		               "<text class=\"tick\" x=\"%.1f\" y=\"%.1f\" font-size=\"10\" text-anchor=\"middle\">%s</text>\n",
		               px, px, ay + ah, ay + ah + 4, px, ay + ah + 15, lab);
	}
	/* the knots */
	for (j = 0; j <= l->G; j++) {
		double px = PX(g[j]);
		kx_sink_printf(s, "<line class=\"knot\" x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"#d0206f\"/>\n",
		               px, px, ay + ah - 5, ay + ah);
	}
	/* the curve, broken where phi is not a number */
	for (j = 0; j < np; j++) {
		double x = x0 + (double)(x1 - x0) * (double)j / (double)(np - 1);
		if (!isfinite(ys[j])) {
			if (run)
				kx_sink_printf(s, "\"/>\n");
			run = 0;
			continue;
		}
		if (!run)
			kx_sink_printf(s, "<polyline fill=\"none\" stroke=\"#1f5fbf\" stroke-width=\"1.5\" points=\"");
		kx_sink_printf(s, "%.1f,%.1f ", PX(x), PY(ys[j]));
		run++;
	}
	if (run)
		kx_sink_printf(s, "\"/>\n");
	kx_sink_printf(s, "</g>\n");
#undef PX
#undef PY
}

int
kx_plot_edges(struct kx_sink *s, const struct kx_model *m, size_t layer,
              const struct kx_edge *edges, size_t n, size_t total, size_t samples,
              struct kx_err *e)
{
	const struct kx_layer *l = &m->layers[layer];
	size_t np = samples < MAX_POINTS ? samples : MAX_POINTS;
	size_t cols, rows, r, c, j;
	float *ys;

	if (n > KX_PLOT_MAX_PANELS)
		n = KX_PLOT_MAX_PANELS;
	cols = n <= 4 ? (n ? n : 1) : n <= 12 ? 4 : n <= 30 ? 6 : 8;
	rows = (n + cols - 1) / cols;
	if (!(ys = kx_mallocarray(cols * np, sizeof *ys)))
		return kx_err_set(e, KX_EXIT_INTERNAL, "out of memory");
	svg_begin(s, 2 * MARGIN + (double)(cols < 4 ? 4 : cols) * PANEL_W, HEAD_H + (double)rows * PANEL_H + MARGIN);
	kx_sink_printf(s, "<text x=\"%.0f\" y=\"22\" font-size=\"15\" font-weight=\"bold\">", MARGIN);
	svg_text(s, m->name ? m->name : "model");
	kx_sink_printf(s, ", layer %zu (", layer);
	svg_text(s, l->name);
	kx_sink_printf(s, "): KANLinear %zu &#8594; %zu, G=%zu, k=%zu, base %s</text>\n",
	               l->in, l->out, l->G, l->k, kx_act_name(l->act));
	kx_sink_printf(s, "<text x=\"%.0f\" y=\"42\" font-size=\"12\">%zu of %zu edge%s, most important first "
	               "(importance: mean |&#966;(x)| over the input's grid, top right of each panel)</text>\n",
	               MARGIN, n, total, total == 1 ? "" : "s");
	kx_sink_printf(s, "<text x=\"%.0f\" y=\"60\" font-size=\"12\" fill=\"#444\">y: &#966;(x), one scale "
	               "per row of panels (values at the left of each row); x: the input's value; shaded: "
	               "outside the grid (extrapolated); red ticks: knots</text>\n", MARGIN);
	for (r = 0; r < rows; r++) {
		size_t nc = (r + 1) * cols <= n ? cols : n - r * cols;
		double lo = INFINITY, hi = -INFINITY;
		struct axis ya;
		for (c = 0; c < nc; c++) {
			const struct kx_edge *ed = &edges[r * cols + c];
			float x0, x1, *y = ys + c * np;
			kx_edge_range(l, ed->in, &x0, &x1);
			for (j = 0; j < np; j++) {
				float x = x0 + (x1 - x0) * (float)j / (float)(np - 1);
				y[j] = kx_kan_edge(l, ed->in, ed->out, x);
				if (isfinite(y[j])) {
					lo = fmin(lo, y[j]);
					hi = fmax(hi, y[j]);
				}
			}
		}
		axis_make(&ya, lo, hi, 1, 3);
		for (c = 0; c < nc; c++)
			draw_panel(s, l, &edges[r * cols + c], ys + c * np, np, MARGIN + (double)c * PANEL_W,
			           HEAD_H + (double)r * PANEL_H, &ya, c == 0);
	}
	kx_sink_printf(s, "</svg>\n");
	free(ys);
	return 0;
}

/* ---- the whole network ----------------------------------------------- */

#define OV_LEFT 80.0
#define OV_TOP 110.0
#define OV_BOTTOM 92.0

/* Column c's node j: its y; sp is the spacing of the column's nodes. */
static double
node_y(size_t w, size_t j, double h, double *sp)
{
	double d = w ? h / (double)w : h;

	if (d > 48)
		d = 48;
	*sp = d;
	return OV_TOP + h / 2 + ((double)j - ((double)w - 1) / 2) * d;
}

/* 1 if the kernels see layer l as FORM (kernel.h) */
static int
is_form(const struct kx_layer *l, enum kx_fast form)
{
	struct kx_kop op;

	return kx_layer_kop(l, &op) == 0 && op.fast == form;
}

/* The edges of layer l, scored (KAN: importance; Dense: |weight|; others:
 * identity, all 1), strongest first; *n: how many to draw, at most cap. */
static struct kx_edge *
layer_edges(const struct kx_layer *l, size_t cap, size_t *n, size_t *total, double *max)
{
	size_t i, o, k = 0, cnt;
	struct kx_edge *v;

	*max = 0;
	if ((kx_layer_as_kan(l) || is_form(l, KX_FAST_MATMUL))) {
		if (kx_mul(l->in, l->out, &cnt) != 0)
			return NULL;
	} else {
		cnt = l->in < l->out ? l->in : l->out;
	}
	if (!(v = kx_mallocarray(cnt ? cnt : 1, sizeof *v)))
		return NULL;
	if ((kx_layer_as_kan(l) || is_form(l, KX_FAST_MATMUL))) {
		for (i = 0; i < l->in; i++)
			for (o = 0; o < l->out; o++, k++) {
				v[k].in = i;
				v[k].out = o;
				v[k].score = kx_layer_as_kan(l) ? kx_edge_score(l, i, o) :
				             fabs((double)l->kernel[i * l->out + o]);
				if (!isfinite(v[k].score))
					v[k].score = 0;
				if (v[k].score > *max)
					*max = v[k].score;
			}
		qsort(v, cnt, sizeof *v, by_score);
	} else {
		for (k = 0; k < cnt; k++) {
			v[k].in = v[k].out = k;
			v[k].score = 1;
		}
		*max = 1;
	}
	*total = cnt;
	*n = cnt < cap ? cnt : cap;
	return v;
}

static void
layer_caption(const struct kx_layer *l, char *buf, size_t len)
{
	if (kx_layer_as_kan(l))
		snprintf(buf, len, "KANLinear G=%zu k=%zu %s", l->G, l->k, kx_act_name(l->act));
	else if (is_form(l, KX_FAST_IDENTITY))
		snprintf(buf, len, "%s", l->class_name ? l->class_name : "Dropout");
	else
		snprintf(buf, len, "%s %s", l->class_name ? l->class_name : "?", kx_act_name(l->act));
}

/* A count with thousands separators. */
static void
count_text(size_t v, char *buf, size_t len)
{
	char t[32];
	size_t n = (size_t)snprintf(t, sizeof t, "%zu", v), i, k = 0;

	for (i = 0; i < n && k + 2 < len; i++) {
		if (i > 0 && (n - i) % 3 == 0)
			buf[k++] = ',';
		buf[k++] = t[i];
	}
	buf[k] = '\0';
}

int
kx_plot_overview(struct kx_sink *s, const struct kx_model *m, struct kx_err *e)
{
	size_t nl = m->n_layers, c, j, k, maxw = 1, left_out = 0, cap;
	double gap, h, width, height, sp, sp2;
	char caption[128], num[32], num2[32];
	int labels;

	for (c = 0; c < nl; c++) {
		if (m->layers[c].in > maxw)
			maxw = m->layers[c].in;
		if (m->layers[c].out > maxw)
			maxw = m->layers[c].out;
	}
	h = (double)maxw * 12;
	h = h < 200 ? 200 : h > 900 ? 900 : h;
	gap = nl ? 2400.0 / (double)nl : 240;
	gap = gap > 240 ? 240 : gap;
	labels = gap >= 120;
	cap = nl ? KX_OVERVIEW_TOTAL / nl : KX_OVERVIEW_EDGES;
	cap = cap > KX_OVERVIEW_EDGES ? KX_OVERVIEW_EDGES : cap < 16 ? 16 : cap;
	width = 2 * OV_LEFT + gap * (double)nl;
	if (width < 760)
		width = 760;
	height = OV_TOP + h + OV_BOTTOM;
	svg_begin(s, width, height);
	kx_sink_printf(s, "<text x=\"16\" y=\"24\" font-size=\"16\" font-weight=\"bold\">");
	svg_text(s, m->name ? m->name : "model");
	kx_sink_printf(s, " (%s", m->class_name ? m->class_name : "model");
	count_text(kx_model_params(m), num, sizeof num);
	kx_sink_printf(s, "): %zu layer%s, input width %zu, output width %zu, %s parameters</text>\n",
	               nl, nl == 1 ? "" : "s", m->in, m->out, num);
	kx_sink_printf(s, "<text x=\"16\" y=\"44\" font-size=\"12\" fill=\"#444\">One column of nodes per "
	               "feature vector; edge width and darkness: importance relative to the layer's "
	               "strongest edge</text>\n"
	               "<text x=\"16\" y=\"60\" font-size=\"12\" fill=\"#444\">(KAN: mean |&#966;(x)| over "
	               "the input's grid; Dense: |weight|). The edges of one layer: kanx inspect --plot "
	               "--edges LAYER</text>\n");
	for (c = 0; c < nl; c++) {
		const struct kx_layer *l = &m->layers[c];
		double xa = OV_LEFT + gap * (double)c, xb = xa + gap, mx;
		size_t n, total;
		struct kx_edge *v = layer_edges(l, cap, &n, &total, &mx);
		const char *color = kx_layer_as_kan(l) ? "#1f5fbf" :
		                    is_form(l, KX_FAST_MATMUL) ? "#c06000" : "#999";

		if (!v)
			return kx_err_set(e, KX_EXIT_INTERNAL, "out of memory");
		kx_sink_printf(s, "<g class=\"layer\" id=\"layer-%zu\" stroke=\"%s\" stroke-linecap=\"round\">\n", c, color);
		/* weakest first, so the strongest are drawn on top */
		for (k = n; k-- > 0;) {
			double w = mx > 0 ? v[k].score / mx : 0;
			if (w < 0.01) {
				left_out++;
				continue;
			}
			kx_sink_printf(s, "<line class=\"edge\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" "
			               "stroke-width=\"%.2f\" stroke-opacity=\"%.3f\"/>\n",
			               xa, node_y(l->in, v[k].in, h, &sp), xb, node_y(l->out, v[k].out, h, &sp2),
			               0.25 + 2.75 * w * w, 0.01 + 0.99 * w * w * w);
		}
		left_out += total - n;
		kx_sink_printf(s, "</g>\n");
		if (labels) {
			kx_sink_printf(s, "<text class=\"layer-label\" x=\"%.1f\" y=\"84\" font-size=\"12\" "
			               "text-anchor=\"middle\" font-weight=\"bold\">%zu ", (xa + xb) / 2, c);
			svg_text(s, l->name);
			layer_caption(l, caption, sizeof caption);
			kx_sink_printf(s, "</text>\n<text x=\"%.1f\" y=\"99\" font-size=\"11\" text-anchor=\"middle\">",
			               (xa + xb) / 2);
			svg_text(s, caption);
			count_text(total, num, sizeof num);
			count_text(n, num2, sizeof num2);
			kx_sink_printf(s, "</text>\n<text x=\"%.1f\" y=\"%.1f\" font-size=\"11\" text-anchor=\"middle\" "
			               "fill=\"#444\">%zu &#215; %zu: %s edge%s%s%s%s</text>\n",
			               (xa + xb) / 2, OV_TOP + h + 40, l->in, l->out, num, total == 1 ? "" : "s",
			               n < total ? " (" : "", n < total ? num2 : "", n < total ? " strongest drawn)" : "");
		}
		free(v);
	}
	/* the nodes, over the edges */
	for (c = 0; c <= nl; c++) {
		size_t w = c == 0 ? (nl ? m->layers[0].in : m->in) : m->layers[c - 1].out;
		double x = OV_LEFT + gap * (double)c, r;
		const char *what = c == 0 ? "x" : c == nl ? "y" : NULL;
		node_y(w, 0, h, &sp);
		r = sp * 0.38 > 5 ? 5 : sp * 0.38;
		kx_sink_printf(s, "<g class=\"column\" id=\"column-%zu\">\n", c);
		if (r >= 1) {
			for (j = 0; j < w; j++)
				kx_sink_printf(s, "<circle class=\"node\" cx=\"%.1f\" cy=\"%.1f\" r=\"%.1f\" fill=\"white\" "
				               "stroke=\"#222\"/>\n", x, node_y(w, j, h, &sp), r);
		} else if (w) {
			kx_sink_printf(s, "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"#222\" stroke-width=\"3\"/>\n",
			               x, x, node_y(w, 0, h, &sp), node_y(w, w - 1, h, &sp));
		}
		if (what && w <= 16 && sp >= 12)
			for (j = 0; j < w; j++)
				kx_sink_printf(s, "<text x=\"%.1f\" y=\"%.1f\" font-size=\"11\" text-anchor=\"%s\">%s%zu</text>\n",
				               c == 0 ? x - 9 : x + 9, node_y(w, j, h, &sp) + 4, c == 0 ? "end" : "start", what, j);
		if (labels || c == 0 || c == nl) {
			count_text(w, num, sizeof num);
			kx_sink_printf(s, "<text x=\"%.1f\" y=\"%.1f\" font-size=\"11\" text-anchor=\"middle\">%s%s</text>\n",
			               x, OV_TOP + h + 20, c == 0 ? "input " : c == nl ? "output " : "", num);
		}
		kx_sink_printf(s, "</g>\n");
	}
	if (left_out) {
		count_text(left_out, num, sizeof num);
		kx_sink_printf(s, "<text x=\"16\" y=\"%.1f\" font-size=\"11\" fill=\"#666\">%s edge%s weaker than 1%% "
		               "of the strongest in its layer, or past its %zu strongest, not drawn</text>\n",
		               height - 12, num, left_out == 1 ? "" : "s", cap);
	}
	kx_sink_printf(s, "</svg>\n");
	return 0;
}
