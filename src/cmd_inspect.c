/* cmd_inspect.c - kanx inspect: what is in a checkpoint. */
#include <cjson/cJSON.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "err.h"
#include "kanx.h"
#include "layer.h"
#include "model.h"
#include "numfmt.h"
#include "ofile.h"
#include "sha256.h"
#include "sink.h"

const struct kx_cmd kx_cmd_inspect;

enum { OPT_JSON = 'j', OPT_EDGES = 'e', OPT_PLOT = 'p', OPT_SAMPLES = 256 };

static const struct kx_optdef opts[] = {
	{ "json", 'j', NULL, OPT_JSON, "print one JSON object per model (JSON lines)" },
	{ "edges", 'e', "LAYER", OPT_EDGES, "write layer LAYER's edge functions as CSV (layer,in,out,x,phi), or pick the layer to --plot" },
	{ "plot", 'p', "FILE", OPT_PLOT, "draw the edge functions of --edges LAYER (default 0) as SVG" },
	{ "samples", 0, "N", OPT_SAMPLES, "points per edge function for --edges/--plot (default 201)" },
	{ NULL, 0, NULL, 0, NULL }
};

struct inspect_opts {
	int json;
	int edges;           /* --edges given */
	size_t layer;
	const char *plot;
	size_t samples;
};

static int
set_opt(void *ctx, int val, const char *arg)
{
	struct inspect_opts *o = ctx;

	switch (val) {
	case OPT_JSON:
		o->json = 1;
		break;
	case OPT_EDGES:
		o->edges = 1;
		return kx_cli_size("--edges", arg, 0, 1u << 20, &o->layer);
	case OPT_PLOT:
		o->plot = arg;
		break;
	case OPT_SAMPLES:
		return kx_cli_size("--samples", arg, 2, 100000, &o->samples);
	}
	return 0;
}

/* The x range sampled for feature i of a KAN layer: its grid plus a 10%
 * margin on each side, so the extended knots show. */
static void
edge_range(const struct kx_layer *l, size_t i, float *x0, float *x1)
{
	const float *g = l->grid + i * (l->G + 1);
	float span = g[l->G] - g[0];

	*x0 = g[0] - 0.1f * span;
	*x1 = g[l->G] + 0.1f * span;
}

static int
check_edge_layer(const struct kx_model *m, size_t layer)
{
	if (layer >= m->n_layers) {
		kx_msg("%s: no layer %zu (the model has %zu layers, numbered from 0)", m->path, layer,
		       m->n_layers);
		return KX_EXIT_USAGE;
	}
	if (!kx_layer_as_kan(&m->layers[layer])) {
		kx_msg("%s: layer %zu ('%s') is a %s layer, not a KAN layer: it has no edge functions",
		       m->path, layer, m->layers[layer].name, m->layers[layer].class_name);
		return KX_EXIT_USAGE;
	}
	if (kx_act_is_rowwise(m->layers[layer].act)) {
		kx_msg("%s: layer %zu ('%s') has the row-wise base activation '%s': an edge's value "
		       "depends on the other inputs, so it has no edge functions of one variable",
		       m->path, layer, m->layers[layer].name, kx_act_name(m->layers[layer].act));
		return KX_EXIT_USAGE;
	}
	return 0;
}

static void
print_edges(const struct kx_model *m, size_t layer, size_t samples)
{
	const struct kx_layer *l = &m->layers[layer];
	char xb[KX_FLOAT_BUF], yb[KX_FLOAT_BUF];
	struct kx_sink *out = kx_sink_stdout();
	size_t i, o, s;

	kx_sink_printf(out, "layer,in,out,x,phi\n");
	for (i = 0; i < l->in; i++) {
		float x0, x1;
		edge_range(l, i, &x0, &x1);
		for (o = 0; o < l->out; o++)
			for (s = 0; s < samples; s++) {
				float x = x0 + (x1 - x0) * (float)s / (float)(samples - 1);
				kx_format_float(x, xb);
				kx_format_float(kx_kan_edge(l, i, o, x), yb);
				if (kx_sink_printf(out, "%zu,%zu,%zu,%s,%s\n", layer, i, o, xb, yb) != 0)
					return;
			}
	}
}

/* Small multiples: one panel per edge (rows = inputs, columns = outputs),
 * the curve, the grid knots as ticks, and the zero line. */
static int
write_plot(const struct kx_model *m, size_t layer, size_t samples, const char *path)
{
	const struct kx_layer *l = &m->layers[layer];
	const double pw = 160, ph = 110, pad = 14, top = 40;
	size_t i, o, s, j, e, n_edges = l->in * l->out;
	size_t cols = n_edges < 8 ? n_edges : 8, rows = (n_edges + cols - 1) / cols;
	struct kx_ofile of;
	struct kx_sink fs, *f;
	struct kx_err err;
	float *ys;
	int rc = 0;

	if (n_edges > 4096) {
		kx_msg("%s: layer %zu has %zu edges; --plot draws at most 4096", m->path, layer, n_edges);
		return KX_EXIT_USAGE;
	}
	ys = kx_mallocarray(samples, sizeof *ys);
	if (!ys)
		return KX_EXIT_INTERNAL;
	if (strcmp(path, "-") == 0) {
		f = kx_sink_stdout();
	} else {
		kx_err_clear(&err);
		if (kx_ofile_open(&of, path, &err) != 0) {
			kx_err_print(&err);
			free(ys);
			return err.code;
		}
		kx_sink_init(&fs, of.fd, path);
		f = &fs;
	}
	kx_sink_printf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%.0f\" height=\"%.0f\" "
	        "viewBox=\"0 0 %.0f %.0f\" font-family=\"sans-serif\">\n",
	        cols * (pw + pad) + pad, rows * (ph + pad) + pad + top,
	        cols * (pw + pad) + pad, rows * (ph + pad) + pad + top);
	kx_sink_printf(f, "<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n");
	kx_sink_printf(f, "<text x=\"%.0f\" y=\"24\" font-size=\"16\">", pad);
	for (const char *c = m->name ? m->name : "model"; *c; c++)
		kx_sink_printf(f, "%s", *c == '<' ? "&lt;" : *c == '&' ? "&amp;" : *c == '>' ? "&gt;" : (char[2]){ *c, 0 });
	kx_sink_printf(f, " layer %zu: %zu x %zu edge functions phi(x), G=%zu, k=%zu, %s</text>\n",
	        layer, l->in, l->out, l->G, l->k, kx_act_name(l->act));
	for (e = 0; e < n_edges; e++) {
		float x0, x1;
		const float *g;
		i = e / l->out;
		o = e % l->out;
		g = l->grid + i * (l->G + 1);
		edge_range(l, i, &x0, &x1);
		{
			double ox = pad + (double)(e % cols) * (pw + pad), oy = top + pad + (double)(e / cols) * (ph + pad);
			float lo = INFINITY, hi = -INFINITY;
			for (s = 0; s < samples; s++) {
				float x = x0 + (x1 - x0) * (float)s / (float)(samples - 1);
				ys[s] = kx_kan_edge(l, i, o, x);
				if (isfinite(ys[s])) {
					lo = fminf(lo, ys[s]);
					hi = fmaxf(hi, ys[s]);
				}
			}
			if (!(lo < hi)) {
				lo = (isfinite(lo) ? lo : 0) - 1;
				hi = lo + 2;
			}
			kx_sink_printf(f, "<g class=\"panel\" id=\"edge-%zu-%zu\">\n"
			        "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.0f\" height=\"%.0f\" fill=\"#fafafa\" stroke=\"#ccc\"/>\n",
			        i, o, ox, oy, pw, ph);
			kx_sink_printf(f, "<text x=\"%.1f\" y=\"%.1f\" font-size=\"9\" fill=\"#555\">in %zu &#8594; out %zu</text>\n",
			        ox + 4, oy + 10, i, o);
			if (lo < 0 && hi > 0)
				kx_sink_printf(f, "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"#ddd\"/>\n",
				        ox, ox + pw, oy + ph - 6 - (0 - lo) / (hi - lo) * (ph - 20),
				        oy + ph - 6 - (0 - lo) / (hi - lo) * (ph - 20));
			for (j = 0; j <= l->G; j++) {
				double kx = ox + (g[j] - x0) / (x1 - x0) * pw;
				kx_sink_printf(f, "<line class=\"knot\" x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"#e08\"/>\n",
				        kx, kx, oy + ph, oy + ph - 5);
			}
			kx_sink_printf(f, "<polyline fill=\"none\" stroke=\"#1f5fbf\" stroke-width=\"1.3\" points=\"");
			for (s = 0; s < samples; s++) {
				double px = ox + (double)s / (double)(samples - 1) * pw;
				float yv = isfinite(ys[s]) ? ys[s] : lo;
				kx_sink_printf(f, "%.1f,%.1f ", px, oy + ph - 6 - (yv - lo) / (hi - lo) * (ph - 20));
			}
			kx_sink_printf(f, "\"/>\n</g>\n");
		}
	}
	kx_sink_printf(f, "</svg>\n");
	free(ys);
	if (kx_sink_flush(f) != 0)
		rc = KX_EXIT_IO;  /* standard output: main reports it */
	if (f == &fs) {
		if (rc)
			rc = fs.err ? kx_cli_sink_error(&fs) : KX_EXIT_IO;
		kx_sink_fini(&fs);
		kx_err_clear(&err);
		if (rc)
			kx_ofile_abort(&of);
		else if (kx_ofile_commit(&of, &err) != 0) {
			kx_err_print(&err);
			rc = KX_EXIT_IO;
		}
	}
	return rc;
}

static const char *
kind_class(const struct kx_layer *l)
{
	return l->class_name ? l->class_name : "?";
}

static cJSON *
num_raw(float f)
{
	char buf[KX_FLOAT_BUF];

	kx_format_float(f, buf);
	return cJSON_CreateRaw(buf);
}

/* How far the layer's extended knots lie from the uniform lattice, in
 * units of h (3 digits), or null where the spacing is not a number */
static cJSON *
knot_dev(double dev)
{
	char buf[32];

	if (!isfinite(dev))
		return cJSON_CreateNull();
	snprintf(buf, sizeof buf, "%.3g", dev);
	return cJSON_CreateRaw(buf);
}

/* What the layer's row of the layer table says inspect shows of it. */
static void
describe(const struct kx_layer *l, struct kx_layer_desc *d)
{
	memset(d, 0, sizeof *d);
	if (l->ops->describe)
		l->ops->describe(l, d);
}

static int
print_json(const struct kx_model *m)
{
	cJSON *o = cJSON_CreateObject(), *layers, *lo, *r;
	struct kx_layer_desc d;
	char hex[65], *s;
	size_t i;

	kx_sha256_hex(m->sha256, hex);
	cJSON_AddStringToObject(o, "file", m->path);
	cJSON_AddNumberToObject(o, "size", (double)m->file_size);
	cJSON_AddStringToObject(o, "sha256", hex);
	if (m->keras_version)
		cJSON_AddStringToObject(o, "keras_version", m->keras_version);
	else
		cJSON_AddNullToObject(o, "keras_version");
	if (m->date_saved)
		cJSON_AddStringToObject(o, "date_saved", m->date_saved);
	else
		cJSON_AddNullToObject(o, "date_saved");
	cJSON_AddStringToObject(o, "class", m->class_name);
	if (m->registered_name)
		cJSON_AddStringToObject(o, "registered_name", m->registered_name);
	else
		cJSON_AddNullToObject(o, "registered_name");
	if (m->name)
		cJSON_AddStringToObject(o, "name", m->name);
	else
		cJSON_AddNullToObject(o, "name");
	cJSON_AddNumberToObject(o, "in", (double)m->in);
	cJSON_AddNumberToObject(o, "out", (double)m->out);
	cJSON_AddNumberToObject(o, "params", (double)kx_model_params(m));
	cJSON_AddBoolToObject(o, "compiled", m->compiled);
	cJSON_AddBoolToObject(o, "optimizer", m->has_optimizer);
	layers = cJSON_AddArrayToObject(o, "layers");
	for (i = 0; i < m->n_layers; i++) {
		const struct kx_layer *l = &m->layers[i];
		lo = cJSON_CreateObject();
		cJSON_AddNumberToObject(lo, "index", (double)i);
		cJSON_AddStringToObject(lo, "name", l->name);
		cJSON_AddStringToObject(lo, "class", kind_class(l));
		cJSON_AddNumberToObject(lo, "in", (double)l->in);
		cJSON_AddNumberToObject(lo, "out", (double)l->out);
		describe(l, &d);
		if (d.grid_size) {
			cJSON_AddNumberToObject(lo, "grid_size", (double)d.grid_size);
			cJSON_AddNumberToObject(lo, "spline_order", (double)d.spline_order);
		} else {
			cJSON_AddNullToObject(lo, "grid_size");
			cJSON_AddNullToObject(lo, "spline_order");
		}
		if (d.activation)
			cJSON_AddStringToObject(lo, "activation", d.activation);
		else
			cJSON_AddNullToObject(lo, "activation");
		if (d.has_grid) {
			r = cJSON_AddArrayToObject(lo, "grid_range");
			cJSON_AddItemToArray(r, num_raw(d.grid_lo));
			cJSON_AddItemToArray(r, num_raw(d.grid_hi));
			cJSON_AddBoolToObject(lo, "uniform", d.closed);
			cJSON_AddItemToObject(lo, "knot_deviation", knot_dev(d.knot_dev));
		} else {
			cJSON_AddNullToObject(lo, "grid_range");
			cJSON_AddNullToObject(lo, "uniform");
			cJSON_AddNullToObject(lo, "knot_deviation");
		}
		if (d.summary[0])
			cJSON_AddStringToObject(lo, "summary", d.summary);
		if (l->ops->describe_json)
			l->ops->describe_json(l, lo);
		cJSON_AddNumberToObject(lo, "params", (double)kx_layer_params(l));
		cJSON_AddItemToArray(layers, lo);
	}
	s = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	if (!s)
		return -1;
	kx_sink_printf(kx_sink_stdout(), "%s\n", s);
	free(s);
	return 0;
}

static void
print_text(const struct kx_model *m)
{
	char hex[65], lo[KX_FLOAT_BUF], hi[KX_FLOAT_BUF], range[80];
	struct kx_sink *out = kx_sink_stdout();
	size_t i;

	kx_sha256_hex(m->sha256, hex);
	kx_sink_printf(out, "%s\n", m->path);
	kx_sink_printf(out, "  size        %zu bytes\n", m->file_size);
	kx_sink_printf(out, "  sha256      %s\n", hex);
	kx_sink_printf(out, "  keras       %s, saved %s\n", m->keras_version ? m->keras_version : "unknown",
	       m->date_saved ? m->date_saved : "unknown");
	kx_sink_printf(out, "  model       %s '%s'%s%s%s\n", m->class_name, m->name ? m->name : "",
	       m->registered_name ? " (" : "", m->registered_name ? m->registered_name : "",
	       m->registered_name ? ")" : "");
	kx_sink_printf(out, "  input       width %zu\n", m->in);
	kx_sink_printf(out, "  output      width %zu\n", m->out);
	kx_sink_printf(out, "  optimizer   %s\n", m->has_optimizer ? "state present (ignored)" :
	       m->compiled ? "compiled, no state saved" : "none");
	kx_sink_printf(out, "  layers\n");
	kx_sink_printf(out, "    %-3s %-16s %-10s %6s %6s %4s %3s %-12s %-20s %-7s %10s\n", "#", "name", "class",
	       "in", "out", "G", "k", "activation", "grid range", "uniform", "params");
	for (i = 0; i < m->n_layers; i++) {
		const struct kx_layer *l = &m->layers[i];
		struct kx_layer_desc d;
		char g[24] = "-", k[24] = "-";
		describe(l, &d);
		if (d.grid_size) {
			snprintf(g, sizeof g, "%zu", d.grid_size);
			snprintf(k, sizeof k, "%zu", d.spline_order);
		}
		if (d.has_grid) {
			kx_format_float(d.grid_lo, lo);
			kx_format_float(d.grid_hi, hi);
			snprintf(range, sizeof range, "[%s, %s]", lo, hi);
		} else {
			snprintf(range, sizeof range, "-");
		}
		kx_sink_printf(out, "    %-3zu %-16s %-10s %6zu %6zu %4s %3s %-12s %-20s %-7s %10zu\n", i, l->name,
		       kind_class(l), l->in, l->out, g, k, d.activation ? d.activation : "-", range,
		       d.uniform ? d.uniform : "-", kx_layer_params(l));
		if (d.summary[0])
			kx_sink_printf(out, "        %s\n", d.summary);
	}
	kx_sink_printf(out, "  trainable parameters: %zu\n", kx_model_params(m));
}

static int
exec_inspect(int argc, char **argv)
{
	struct inspect_opts o = { 0, 0, 0, NULL, 201 };
	struct kx_limits lim;
	const char *msg, *env;
	char *one[1];
	char **models;
	int first, rc = KX_EXIT_OK, n, i, gated;

	first = kx_cli_parse(&kx_cmd_inspect, argc, argv, set_opt, &o, &rc);
	if (first < 0)
		return rc;
	if (kx_limits_init(&lim, &msg) != 0) {
		kx_msg("%s", msg);
		return KX_EXIT_USAGE;
	}
	models = argv + first;
	n = argc - first;
	if (n == 0) {
		env = getenv("KANX_CHECKPOINT");
		if (!env || !*env) {
			kx_msg("inspect: no model given (name one, or set KANX_CHECKPOINT)");
			fprintf(stderr, "Try 'kanx inspect --help'.\n");
			return KX_EXIT_USAGE;
		}
		one[0] = (char *)env;
		models = one;
		n = 1;
	}
	for (i = 0; i < n; i++) {
		struct kx_err e;
		struct kx_model *m;

		kx_err_clear(&e);
		/* A model the gate refuses is still described (what was read),
		 * then refused with the gate's message and exit 4; its edges
		 * are not evaluated. */
		m = kx_model_load_unchecked(models[i], &lim, &e);
		if (!m) {
			kx_err_print(&e);
			if (rc == KX_EXIT_OK)
				rc = e.code ? e.code : KX_EXIT_BADMODEL;
			continue;
		}
		gated = kx_model_gate(m, &e);
		if (gated != 0 && (o.edges || o.plot)) {
			/* nothing evaluated from a model kanx will not run */
		} else if (o.edges || o.plot) {
			int r = check_edge_layer(m, o.layer);
			if (r == 0 && !o.plot)
				print_edges(m, o.layer, o.samples);
			if (r == 0 && o.plot)
				r = write_plot(m, o.layer, o.samples, o.plot);
			if (r && rc == KX_EXIT_OK)
				rc = r;
		} else if (o.json) {
			if (print_json(m) != 0) {
				kx_msg("inspect: out of memory");
				rc = KX_EXIT_INTERNAL;
			}
		} else {
			if (i > 0)
				kx_sink_put(kx_sink_stdout(), "\n", 1);
			print_text(m);
		}
		kx_model_free(m);
		/* each model's report goes out whole; a failure is main's to report */
		if (kx_sink_flush(kx_sink_stdout()) != 0)
			return rc ? rc : KX_EXIT_IO;
		if (gated != 0) {
			kx_err_print(&e);
			if (rc == KX_EXIT_OK)
				rc = e.code ? e.code : KX_EXIT_BADMODEL;
		}
	}
	return rc;
}

const struct kx_cmd kx_cmd_inspect = {
	"inspect", "describe checkpoints: layers, widths, grids, parameters, provenance",
	opts, "[--json] [--edges LAYER] [--plot FILE.svg] [MODEL ...]", exec_inspect
};
