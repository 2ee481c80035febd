/* cmd_inspect.c - kanx inspect: what is in a checkpoint. */
#include <cjson/cJSON.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <stdint.h>

#include "cli.h"
#include "err.h"
#include "kanx.h"
#include "layer.h"
#include "dtype.h"
#include "model.h"
#include "numfmt.h"
#include "ofile.h"
#include "plot.h"
#include "sha256.h"
#include "sink.h"
#include "spec.h"
#include "stop.h"

const struct kx_cmd kx_cmd_inspect;

enum { OPT_JSON = 'j', OPT_EDGES = 'e', OPT_OUTPUT = 'o', OPT_PLOT = 256, OPT_TOP, OPT_SAMPLES };

static const struct kx_optdef opts[] = {
	{ "json", 'j', NULL, OPT_JSON, "print one JSON object per model (JSON lines)" },
	{ "edges", 'e', "LAYER", OPT_EDGES, "write the edge functions of LAYER[:IN[:OUT]] as CSV (layer,in,out,x,phi); with --plot, draw them" },
	{ "plot", 0, NULL, OPT_PLOT, "draw an SVG picture: the whole network, or with --edges the edges" },
	{ "top", 0, "N", OPT_TOP, "only the N most important edges, most important first (--plot: default 24, at most 120)" },
	{ "samples", 0, "N", OPT_SAMPLES, "points per edge function for --edges/--plot (default 201)" },
	{ "output", 'o', "FILE", OPT_OUTPUT, "write to FILE, replacing it only when the run succeeds" },
	{ NULL, 0, NULL, 0, NULL }
};

struct inspect_opts {
	int json;
	int edges;           /* --edges given */
	struct kx_edge_sel sel;
	int plot;
	size_t top;          /* 0: not given */
	size_t samples;
	const char *output;  /* -o FILE, or NULL */
};

static int
set_opt(void *ctx, int val, const char *arg)
{
	struct inspect_opts *o = ctx;

	switch (val) {
	case OPT_JSON:
		o->json = 1;
		break;
	case OPT_EDGES: {
		struct kx_err e;
		o->edges = 1;
		if (kx_edge_sel_parse(arg, &o->sel, &e) != 0) {
			kx_err_print(&e);
			return KX_EXIT_USAGE;
		}
		break;
	}
	case OPT_PLOT:
		o->plot = 1;
		break;
	case OPT_TOP:
		return kx_cli_size("--top", arg, 1, SIZE_MAX, &o->top);
	case OPT_OUTPUT:
		o->output = arg;
		break;
	case OPT_SAMPLES:
		return kx_cli_size("--samples", arg, 2, 100000, &o->samples);
	}
	return 0;
}

static const char *
kind_class(const struct kx_layer *l)
{
	return l->class_name ? l->class_name : "?";
}

/* A name from the file as the text shows it: no control character of
 * its (a newline, an escape sequence) reaches the terminal, as in
 * messages (err.c). One of a ring of buffers, for several in one line. */
static const char *
tx(const char *s)
{
	static char ring[8][200];
	static unsigned next;
	char *b = ring[next++ % 8];
	size_t i;

	for (i = 0; s[i] && i + 1 < sizeof ring[0]; i++)
		b[i] = (unsigned char)s[i] < 0x20 || s[i] == 0x7f ? '?' : s[i];
	b[i] = '\0';
	return b;
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

/* What the layer's row of the layer table says inspect shows of it (of
 * a layer whose weights were read: not of a placeholder for a class kanx
 * does not know, nor of a layer whose input width is unknown). */
static void
describe(const struct kx_layer *l, struct kx_layer_desc *d)
{
	memset(d, 0, sizeof *d);
	if (l->ops->describe && !l->shapes_only)
		l->ops->describe(l, d);
	if (l->ops->placeholder)
		snprintf(d->summary, sizeof d->summary, "unsupported: kanx does not run class '%.40s'; "
		         "%zu parameters in the file%s", l->class_name, l->file_params, l->frozen ?
		         ", all non-trainable (frozen)" : ", not split into trainable and non-trainable");
	else if (l->shapes_only)
		snprintf(d->summary, sizeof d->summary, "input width unknown (after a layer kanx cannot "
		         "run); %zu parameters in the file", l->file_params);
}

/* A width or a count, or null (JSON) / "?" (text) where unknown: a
 * width of 0, a count of KX_PARAMS_UNKNOWN. */
static cJSON *
json_width(size_t w)
{
	return w ? cJSON_CreateNumber((double)w) : cJSON_CreateNull();
}

static cJSON *
json_count(size_t n)
{
	return n != KX_PARAMS_UNKNOWN ? cJSON_CreateNumber((double)n) : cJSON_CreateNull();
}

static const char *
text_size(size_t n, int unknown, char *buf, size_t size)
{
	if (unknown)
		return "?";
	snprintf(buf, size, "%zu", n);
	return buf;
}

/* The three counts of a layer or a model as JSON keys: params (trainable,
 * as before), non_trainable_params, total_params. */
static void
add_counts_json(cJSON *o, const struct kx_params *p)
{
	cJSON_AddItemToObject(o, "params", json_count(p->trainable));
	cJSON_AddItemToObject(o, "non_trainable_params", json_count(p->non_trainable));
	cJSON_AddItemToObject(o, "total_params", json_count(p->total));
}

/* The name of node k: "input" (the model's input) or the layer whose
 * output it is. */
static const char *
node_name(const struct kx_model *m, size_t k)
{
	return k ? m->layers[k - 1].name : "input";
}

/* compile_config's names: "compile": {"optimizer", "loss", "metrics"},
 * or null when the model names none. Training-only, shown as named. */
static int
add_train_json(cJSON *o, const struct kx_train *t)
{
	cJSON *c, *a;
	size_t i;

	if (!t->optimizer && !t->loss && !t->n_metrics) {
		cJSON_AddNullToObject(o, "compile");
		return 0;
	}
	if (!(c = cJSON_AddObjectToObject(o, "compile")))
		return -1;
	if (!(t->optimizer ? cJSON_AddStringToObject(c, "optimizer", t->optimizer) :
	      cJSON_AddNullToObject(c, "optimizer")) ||
	    !(t->loss ? cJSON_AddStringToObject(c, "loss", t->loss) : cJSON_AddNullToObject(c, "loss")) ||
	    !(a = cJSON_AddArrayToObject(c, "metrics")))
		return -1;
	for (i = 0; i < t->n_metrics; i++)
		cJSON_AddItemToArray(a, cJSON_CreateString(t->metrics[i]));
	if (t->more_metrics)
		cJSON_AddNumberToObject(c, "more_metrics", (double)t->more_metrics);
	return 0;
}

/* The same as one line of text: "loss L; metrics M1, M2; optimizer O". */
static void
print_train_text(struct kx_sink *out, const struct kx_train *t)
{
	size_t i;

	if (!t->optimizer && !t->loss && !t->n_metrics)
		return;
	kx_sink_printf(out, "  training    loss %s; metrics ", t->loss ? t->loss : "none");
	for (i = 0; i < t->n_metrics; i++)
		kx_sink_printf(out, "%s%s", i ? ", " : "", t->metrics[i]);
	if (t->more_metrics)
		kx_sink_printf(out, " and %zu more", t->more_metrics);
	kx_sink_printf(out, "%s; optimizer %s (training only: not used)\n", t->n_metrics ? "" : "none",
	               t->optimizer ? t->optimizer : "none");
}

static int
print_json(struct kx_sink *out, const struct kx_model *m)
{
	cJSON *o = cJSON_CreateObject(), *layers, *lo, *r;
	struct kx_layer_desc d;
	struct kx_params pc;
	char hex[65], note[600], *s;
	size_t i, j;

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
	cJSON_AddItemToObject(o, "in", json_width(m->in));
	cJSON_AddItemToObject(o, "out", json_width(m->out));
	kx_model_param_counts(m, &pc);
	add_counts_json(o, &pc);
	cJSON_AddBoolToObject(o, "supported", m->n_unsupported == 0);
	r = cJSON_AddArrayToObject(o, "unsupported");
	for (i = 0; i < m->n_layers; i++)
		if (m->layers[i].ops->placeholder)
			cJSON_AddItemToArray(r, cJSON_CreateString(m->layers[i].name));
	cJSON_AddBoolToObject(o, "compiled", m->compiled);
	cJSON_AddBoolToObject(o, "optimizer", m->has_optimizer);
	cJSON_AddStringToObject(o, "dtype", kx_dtype_name(m->dtype));
	cJSON_AddStringToObject(o, "input_dtype", kx_dtype_name(m->in_dtype));
	cJSON_AddStringToObject(o, "path", m->f64 ? "reference64" : "float32");
	if (kx_dtype_note(m, note, sizeof note))
		cJSON_AddStringToObject(o, "dtype_note", note);
	else
		cJSON_AddNullToObject(o, "dtype_note");
	r = cJSON_AddArrayToObject(o, "outputs");
	for (i = 0; i < m->n_outputs; i++) {
		lo = cJSON_CreateObject();
		cJSON_AddStringToObject(lo, "name", m->output_names && m->output_names[i] ?
		                        m->output_names[i] : node_name(m, m->outputs[i]));
		cJSON_AddStringToObject(lo, "node", node_name(m, m->outputs[i]));
		cJSON_AddItemToObject(lo, "width", json_width(kx_model_output_width(m, i)));
		cJSON_AddItemToArray(r, lo);
	}
	if (add_train_json(o, &m->train) != 0) {
		cJSON_Delete(o);
		return -1;
	}
	layers = cJSON_AddArrayToObject(o, "layers");
	for (i = 0; i < m->n_layers; i++) {
		const struct kx_layer *l = &m->layers[i];
		lo = cJSON_CreateObject();
		cJSON_AddNumberToObject(lo, "index", (double)i);
		cJSON_AddStringToObject(lo, "name", l->name);
		cJSON_AddStringToObject(lo, "class", kind_class(l));
		cJSON_AddItemToObject(lo, "in", json_width(l->in));
		cJSON_AddItemToObject(lo, "out", json_width(l->out));
		cJSON_AddBoolToObject(lo, "supported", !l->ops->placeholder);
		cJSON_AddStringToObject(lo, "dtype", kx_dtype_name(l->dtype));
		r = cJSON_AddArrayToObject(lo, "inputs");
		for (j = 0; j < l->n_inputs; j++)
			cJSON_AddItemToArray(r, cJSON_CreateString(node_name(m, l->inputs[j])));
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
		if (l->ops->describe_json && !l->shapes_only)
			l->ops->describe_json(l, lo);
		cJSON_AddBoolToObject(lo, "trainable", !l->frozen);
		kx_layer_param_counts(l, &pc);
		add_counts_json(lo, &pc);
		cJSON_AddItemToArray(layers, lo);
	}
	s = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	if (!s)
		return -1;
	kx_sink_printf(out, "%s\n", s);
	free(s);
	return 0;
}

/* The dtype policies, when any is not float32: each with its layers, the
 * path the model runs on, and the reduced-precision note. */
static void
print_dtypes(struct kx_sink *out, const struct kx_model *m)
{
	char note[600];
	size_t i, j;
	int dt, any = m->in_dtype != KX_DT_FLOAT32 || m->dtype != KX_DT_FLOAT32;

	for (i = 0; i < m->n_layers; i++)
		any |= m->layers[i].dtype != KX_DT_FLOAT32;
	if (!any)
		return;
	kx_sink_printf(out, "  dtypes      model %s, input %s\n", kx_dtype_name(m->dtype),
	               kx_dtype_name(m->in_dtype));
	for (dt = KX_DT_FLOAT32; dt <= KX_DT_MIXED_BFLOAT16; dt++) {
		for (i = 0, j = 0; i < m->n_layers; i++) {
			if (m->layers[i].dtype != dt)
				continue;
			if (j++)
				kx_sink_printf(out, ", %s", tx(m->layers[i].name));
			else
				kx_sink_printf(out, "              %-15s %s", kx_dtype_name(dt), tx(m->layers[i].name));
		}
		if (j)
			kx_sink_printf(out, "\n");
	}
	if (m->f64)
		kx_sink_printf(out, "  path        double-precision reference (a layer computes in "
		               "float64; the fast kernels are float32 only)\n");
	if (kx_dtype_note(m, note, sizeof note))
		kx_sink_printf(out, "  note        %s\n", note);
}

static void
print_text(struct kx_sink *out, const struct kx_model *m)
{
	char hex[65], lo[KX_FLOAT_BUF], hi[KX_FLOAT_BUF], range[80], b1[24], b2[24], b3[24], b4[24];
	struct kx_params pc;
	size_t i, j, wn, wc, unsplit = 0;

	kx_sha256_hex(m->sha256, hex);
	kx_sink_printf(out, "%s\n", m->path);
	kx_sink_printf(out, "  size        %zu bytes\n", m->file_size);
	kx_sink_printf(out, "  sha256      %s\n", hex);
	kx_sink_printf(out, "  keras       %s, saved %s\n", m->keras_version ? m->keras_version : "unknown",
	       m->date_saved ? m->date_saved : "unknown");
	kx_sink_printf(out, "  model       %s '%s'%s%s%s\n", m->class_name, tx(m->name ? m->name : ""),
	       m->registered_name ? " (" : "", m->registered_name ? m->registered_name : "",
	       m->registered_name ? ")" : "");
	kx_sink_printf(out, "  input       width %s\n", text_size(m->in, !m->in, b1, sizeof b1));
	kx_sink_printf(out, "  output      width %s\n", text_size(m->out, !m->out, b1, sizeof b1));
	for (i = 0; m->dag && i < m->n_outputs; i++)
		kx_sink_printf(out, "    %-12s width %s, from %s\n", tx(m->output_names && m->output_names[i] ?
		               m->output_names[i] : "?"), text_size(kx_model_output_width(m, i),
		               !kx_model_output_width(m, i), b1, sizeof b1), tx(node_name(m, m->outputs[i])));
	kx_sink_printf(out, "  optimizer   %s\n", m->has_optimizer ? "state present (ignored)" :
	       m->compiled ? "compiled, no state saved" : "none");
	print_train_text(out, &m->train);
	kx_sink_printf(out, "  layers\n");
	/* the name and class columns as wide as the longest (tx: at most 199 bytes) */
	for (i = 0, wn = 16, wc = 10; i < m->n_layers; i++) {
		size_t a = strlen(tx(m->layers[i].name)), c = strlen(tx(kind_class(&m->layers[i])));
		wn = a > wn ? a : wn;
		wc = c > wc ? c : wc;
	}
	kx_sink_printf(out, "    %-3s %-*s %-*s %6s %6s %4s %3s %-12s %-20s %-7s %10s %10s\n", "#",
	       (int)wn, "name", (int)wc, "class", "in", "out", "G", "k", "activation", "grid range",
	       "uniform", "params", "non-train");
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
		kx_layer_param_counts(l, &pc);
		if (pc.trainable == KX_PARAMS_UNKNOWN)
			unsplit += pc.total;
		kx_sink_printf(out, "    %-3zu %-*s %-*s %6s %6s %4s %3s %-12s %-20s %-7s %10s %10s\n", i,
		       (int)wn, tx(l->name), (int)wc, tx(kind_class(l)), text_size(l->in, !l->in, b1, sizeof b1),
		       text_size(l->out, !l->out, b2, sizeof b2), g, k, d.activation ? d.activation : "-",
		       range, d.uniform ? d.uniform : "-",
		       text_size(pc.trainable, pc.trainable == KX_PARAMS_UNKNOWN, b3, sizeof b3),
		       text_size(pc.non_trainable, pc.non_trainable == KX_PARAMS_UNKNOWN, b4, sizeof b4));
		if (d.summary[0])
			kx_sink_printf(out, "        %s\n", tx(d.summary));
		for (j = 0; m->dag && j < l->n_inputs; j++)
			kx_sink_printf(out, "%s%s%s", j ? ", " : "        reads ", tx(node_name(m, l->inputs[j])),
			               j + 1 == l->n_inputs ? "\n" : "");
	}
	/* as Keras's model.summary() counts them */
	kx_model_param_counts(m, &pc);
	kx_sink_printf(out, "  trainable parameters: %zu\n", pc.trainable);
	kx_sink_printf(out, "  non-trainable parameters: %zu\n", pc.non_trainable);
	kx_sink_printf(out, "  total parameters: %zu", pc.total);
	if (unsplit)
		kx_sink_printf(out, " (%zu of them in layers kanx cannot run, not split into trainable "
		               "and non-trainable)", unsplit);
	kx_sink_printf(out, "\n");
	for (i = 0, j = 0; i < m->n_layers; i++) {
		if (!m->layers[i].ops->placeholder)
			continue;
		kx_sink_printf(out, "%s%s (%s)", j ? ", " : "  unsupported layers: ", tx(m->layers[i].name),
		               tx(m->layers[i].class_name));
		if (++j == m->n_unsupported)
			kx_sink_printf(out, ": kanx cannot run this model\n");
	}
	print_dtypes(out, m);
}

/* --edges and --plot: the CSV of the edges, their panels, or the
 * overview (--plot alone). */
static int
edges_or_plot(struct kx_sink *out, const struct kx_model *m, const struct inspect_opts *o)
{
	struct kx_edge *v = NULL;
	size_t n, total, top = o->top;
	struct kx_err e;
	int r;

	kx_err_clear(&e);
	if (o->plot && !o->edges)
		r = kx_plot_overview(out, m, &e);
	else if ((r = kx_edges_pick(m, &o->sel, o->plot && !top ? KX_PLOT_TOP : top, &v, &n, &total, &e)) == 0)
		r = o->plot ? kx_plot_edges(out, m, o->sel.layer, v, n, total, o->samples, &e) :
		    kx_edges_csv(out, m, o->sel.layer, v, n, o->samples);
	free(v);
	if (r != 0) {
		kx_err_print(&e);
		return e.code ? e.code : KX_EXIT_INTERNAL;
	}
	return 0;
}

/* Usage errors of --plot, --top and -o before any model is read. */
static int
check_opts(const struct inspect_opts *o, char **models, int n)
{
	int i;

	if (o->plot && o->json) {
		kx_msg("inspect: --plot draws a picture; --json is for the description");
		return KX_EXIT_USAGE;
	}
	if (o->top && !o->edges) {
		kx_msg("inspect: --top picks edges: give the layer with --edges LAYER");
		return KX_EXIT_USAGE;
	}
	if (o->plot && o->top > KX_PLOT_MAX_PANELS) {
		kx_msg("inspect: --plot draws at most %d edges (--top %zu): use --edges for the CSV of more",
		       KX_PLOT_MAX_PANELS, o->top);
		return KX_EXIT_USAGE;
	}
	for (i = 0; o->plot && !o->output && i < n; i++) {
		size_t len = strlen(models[i]);
		if (len > 4 && strcasecmp(models[i] + len - 4, ".svg") == 0) {
			kx_msg("inspect: --plot takes no file name: write the picture with -o FILE "
			       "(did you mean '--plot -o %s'?)", models[i]);
			return KX_EXIT_USAGE;
		}
	}
	if (o->plot && n > 1) {
		kx_msg("inspect: --plot draws one model at a time (%d given)", n);
		return KX_EXIT_USAGE;
	}
	return 0;
}

/* The end of -o FILE: put it in place when every model was described
 * and written, else leave FILE as it was. */
static int
settle_output(struct kx_ofile *of, struct kx_sink *fs, const char *path, int rc)
{
	struct kx_err err;

	if (rc == KX_EXIT_OK && !kx_sink_done(fs) && !kx_stop_signal()) {
		kx_sink_fini(fs);
		kx_err_clear(&err);
		if (kx_ofile_commit(of, &err) != 0) {
			kx_err_print(&err);
			return KX_EXIT_IO;
		}
		return rc;
	}
	kx_cli_note("%s %s", path, !of->tmp ? "holds what was written before" :
	            of->existed ? "is left as it was" : "was not created");
	if (fs->err)
		rc = kx_cli_sink_error(fs);
	else if (rc == KX_EXIT_OK)
		rc = KX_EXIT_IO;
	kx_sink_fini(fs);
	kx_ofile_abort(of);
	return rc;
}

static int
exec_inspect(int argc, char **argv)
{
	struct inspect_opts o = { 0, 0, { 0, 0, 0, 0, 0 }, 0, 0, 201, NULL };
	struct kx_limits lim;
	struct kx_ofile of;
	struct kx_sink fs, *out = kx_sink_stdout();
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
	if ((rc = check_opts(&o, models, n)) != 0)
		return rc;
	if (o.output) {
		struct kx_err err;
		kx_err_clear(&err);
		if (kx_ofile_open(&of, o.output, &err) != 0) {
			kx_err_print(&err);
			return err.code;
		}
		kx_sink_init(&fs, of.fd, o.output);
		out = &fs;
	}
	for (i = 0; i < n; i++) {
		struct kx_err e;
		struct kx_model *m;

		kx_err_clear(&e);
		/* A model the gate refuses is still described (what was read),
		 * then refused with the gate's message and exit 4; its edges
		 * are not evaluated. So is a model refused only for layers of
		 * classes kanx does not know (validate's message, in e): each
		 * is a placeholder node, the rest described as usual. */
		m = kx_model_load_describe(models[i], &lim, &e);
		if (!m) {
			kx_err_print(&e);
			if (rc == KX_EXIT_OK)
				rc = e.code ? e.code : KX_EXIT_BADMODEL;
			continue;
		}
		gated = m->n_unsupported ? -1 : kx_model_gate(m, &e);
		if (gated != 0 && (o.edges || o.plot)) {
			/* nothing evaluated from a model kanx will not run */
		} else if (o.edges || o.plot) {
			int r = edges_or_plot(out, m, &o);
			if (r && rc == KX_EXIT_OK)
				rc = r;
		} else if (o.json) {
			if (print_json(out, m) != 0) {
				kx_msg("inspect: out of memory");
				rc = KX_EXIT_INTERNAL;
			}
		} else {
			if (i > 0)
				kx_sink_put(out, "\n", 1);
			print_text(out, m);
		}
		kx_model_free(m);
		/* each model's report goes out whole; a failure of standard
		 * output is main's to report */
		if (kx_sink_flush(out) != 0) {
			if (out != &fs)
				return rc ? rc : KX_EXIT_IO;
			break;
		}
		if (gated != 0) {
			kx_err_print(&e);
			if (rc == KX_EXIT_OK)
				rc = e.code ? e.code : KX_EXIT_BADMODEL;
		}
	}
	if (out == &fs)
		rc = settle_output(&of, &fs, o.output, rc);
	return rc;
}

const struct kx_cmd kx_cmd_inspect = {
	"inspect", "describe checkpoints: layers, widths, grids, parameters, provenance",
	opts, "[--json] [--edges LAYER[:IN[:OUT]] [--top N]] [--plot] [-o FILE] [MODEL ...]", exec_inspect
};
