/* cmd_validate.c - kanx validate: is this checkpoint sound, and would the
 * API accept this batch for it?
 *
 * Three groups of checks, every problem reported (not only the first):
 *  - the model: whatever the loader refuses, then non-finite weights,
 *    grids that decrease or have zero span, G/k against the config, grid
 *    ends against the configured grid_range;
 *  - the YAML training config (--config, $KANX_CONFIG): the kanx library's
 *    rules and messages with line and column, then the checkpoint against
 *    its model: section;
 *  - inputs: every format predict reads (CSV, TSV, JSON lines, API
 *    request documents), read by predict's reader (rows.c), each taken as
 *    the batch the API would be sent (an API document: each document):
 *    what POST /api/predict would answer (422, 400, 413), with the line
 *    and column, and values outside the grid as warnings; a model or a
 *    config given as an input is told apart from a batch.
 * Problems as diagnostics on stderr (kanx: FILE:LINE:COL: message) and
 * the summary line on stdout, or --json: the whole report on stdout.
 * Exit 0 sound (warnings allowed), 1 problems, 2 usage, 3 model missing,
 * 7 an input or config could not be read, 8 out of memory. */
#include <cjson/cJSON.h>
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "cli.h"
#include "err.h"
#include "kanx.h"
#include "kxlimits.h"
#include "layer.h"
#include "model.h"
#include "numfmt.h"
#include "rows.h"
#include "sink.h"
#include "yamlcfg.h"

const struct kx_cmd kx_cmd_validate;

enum {
	OPT_MODEL = 'm',
	OPT_CONFIG = 'c',
	OPT_JSON = 'j',
	OPT_INFMT = 'i',
	OPT_DELIM = 'd',
	OPT_MAX_BATCH = 256,
	OPT_HEADER,
	OPT_NOHEADER,
	OPT_ID,
	OPT_QUOTE,
	OPT_NOQUOTE,
	OPT_COLUMNS
};

static const struct kx_optdef opts[] = {
	{ "model", 'm', "MODEL", OPT_MODEL, "checkpoint to check (default $KANX_CHECKPOINT)" },
	{ "config", 'c', "FILE", OPT_CONFIG, "kanx YAML training config to check (default $KANX_CONFIG)" },
	{ "input-format", 'i', "FMT", OPT_INFMT, "inputs are csv, tsv, jsonl or api (default: by extension, else by content)" },
	{ "header", 0, NULL, OPT_HEADER, "CSV/TSV inputs start with a header row (default: detect)" },
	{ "no-header", 0, NULL, OPT_NOHEADER, "CSV/TSV inputs have no header row" },
	{ "id", 0, "COL", OPT_ID, "column COL (header name or number) of CSV/TSV inputs is an id, not a feature" },
	{ "delimiter", 'd', "CHAR", OPT_DELIM, "CSV field delimiter, e.g. ';', '|' or tab (default: ',', or ';' or '|' when the first line has no ',')" },
	{ "quote", 0, "CHAR", OPT_QUOTE, "CSV quote character (default '\"')" },
	{ "no-quote", 0, NULL, OPT_NOQUOTE, "CSV fields are not quoted: quote characters are data" },
	{ "columns", 0, "COLS", OPT_COLUMNS, "the feature columns: names or numbers from 1, ranges, !drops (\"f0,f1\", \"2-17\", \"!id,!label\")" },
	{ "max-batch", 0, "N", OPT_MAX_BATCH, "rows allowed per request (default $KANX_MAX_BATCH or 4096)" },
	{ "json", 'j', NULL, OPT_JSON, "print the report as one JSON object" },
	{ NULL, 0, NULL, 0, NULL }
};

struct vopts {
	const char *model, *config;
	size_t max_batch;
	int json;
	enum kx_in_fmt fmt;
	int header;         /* -1 detect */
	const char *id;
	int delim, quote, no_quote;
	const char *columns;
};

static int
set_opt(void *ctx, int val, const char *arg)
{
	struct vopts *o = ctx;

	switch (val) {
	case OPT_MODEL:
		o->model = arg;
		break;
	case OPT_CONFIG:
		o->config = arg;
		break;
	case OPT_JSON:
		o->json = 1;
		break;
	case OPT_MAX_BATCH:
		return kx_cli_size("--max-batch", arg, 1, (size_t)1 << 30, &o->max_batch);
	case OPT_INFMT:
		if (kx_in_fmt_lookup(arg, &o->fmt) != 0 || o->fmt == KX_IN_AUTO) {
			char names[256];
			kx_in_fmt_list(names, sizeof names, NULL);
			kx_msg("invalid value '%s' for --input-format: expected one of %s", arg, names);
			return KX_EXIT_USAGE;
		}
		break;
	case OPT_HEADER:
	case OPT_NOHEADER:
		o->header = val == OPT_HEADER;
		break;
	case OPT_ID:
		if (*arg == '\0') {
			kx_msg("--id needs a column name or number");
			return KX_EXIT_USAGE;
		}
		o->id = arg;
		break;
	case OPT_DELIM:
	case OPT_QUOTE: {
		int ch = kx_in_parse_char(arg);
		if (ch < 0) {
			kx_msg("invalid value '%s' for %s: expected one character (or \\t for a tab), not a "
			       "newline", arg, val == OPT_DELIM ? "--delimiter" : "--quote");
			return KX_EXIT_USAGE;
		}
		*(val == OPT_DELIM ? &o->delim : &o->quote) = ch;
		break;
	}
	case OPT_NOQUOTE:
		o->no_quote = 1;
		break;
	case OPT_COLUMNS:
		o->columns = arg;
		break;
	}
	return 0;
}

/* ---- the model ---------------------------------------------------------- */

static const char *
fmtf(float f, char *buf)
{
	kx_format_float(f, buf);
	return buf;
}

/* "NAME:LINE:COL" (n bytes of s): the length of NAME, with line and col
 * set; n when s does not end in ":LINE:COL". */
static size_t
split_line_col(const char *s, size_t n, unsigned long *line, unsigned long *col)
{
	size_t c = n, l;

	while (c > 0 && isdigit((unsigned char)s[c - 1]))
		c--;
	if (c == n || c < 2 || s[c - 1] != ':')
		return n;
	l = c - 1;
	while (l > 0 && isdigit((unsigned char)s[l - 1]))
		l--;
	if (l == c - 1 || l < 2 || s[l - 1] != ':')
		return n;
	*line = strtoul(s + l, NULL, 10);
	*col = strtoul(s + c, NULL, 10);
	return l - 1;
}

/* One problem of the model, as the loader words it ("PATH:member:
 * location: text"), split into the report's fields so that it prints back
 * exactly as the loader's message: kx_model_load refuses with the same
 * words (tests/gate.bats checks the two agree on every model under tests/). */
static void
model_problem(struct kx_diags *d, enum kx_severity sev, const char *path, const char *msg)
{
	size_t pl = strlen(path);
	const char *body = msg, *member = NULL, *where = NULL, *p;
	size_t ml = 0, wl = 0;
	unsigned long line = 0, col = 0;
	struct kx_diag *x;
	char *mb = NULL, *wb = NULL;

	if (strncmp(msg, path, pl) == 0 && (msg[pl] == ':' || msg[pl] == '\0')) {
		body = msg + pl + (msg[pl] == ':');
		/* "member: " (a name without spaces) right after "PATH:" */
		p = strstr(body, ": ");
		if (body == msg + pl + 1 && p && p != body && memchr(body, ' ', (size_t)(p - body)) == NULL) {
			member = body;
			ml = (size_t)(p - body);
			body = p + 2;
		} else if (*body == ' ') {
			body++;
		} else {
			body = msg;   /* not "PATH: ..." after all */
			pl = 0;
		}
		/* a location: an HDF5 path, or one word, before the next ": " */
		p = body == msg ? NULL : strstr(body, ": ");
		if (p && p != body && (strncmp(body, "layers/", 7) == 0 ||
		                       memchr(body, ' ', (size_t)(p - body)) == NULL)) {
			where = body;
			wl = (size_t)(p - body);
			body = p + 2;
		}
	}
	if (member)
		ml = split_line_col(member, ml, &line, &col);
	if ((member && !(mb = strndup(member, ml))) || (where && !(wb = strndup(where, wl)))) {
		free(mb);
		d->oom = 1;
		return;
	}
	kx_diags_add(d, sev, body == msg ? NULL : path, line, col, wb, "%s", body);
	x = kx_diags_last(d);
	if (x)
		x->member = mb;
	else
		free(mb);
	free(wb);
}

/* The loader's refusal ("PROBLEM; PROBLEM; ..."): one report entry each. */
static void
loader_problems(struct kx_diags *d, const char *path, const char *msg)
{
	const char *p = msg;
	char *buf = NULL, sep[1100];

	snprintf(sep, sizeof sep, "; %s:", path);
	while (*p) {
		const char *next = strstr(p, sep);
		size_t len = next ? (size_t)(next - p) : strlen(p);

		free(buf);
		if (!(buf = strndup(p, len))) {
			d->oom = 1;
			return;
		}
		model_problem(d, KX_SEV_ERROR, path, buf);
		p = next ? next + 2 : p + len;
	}
	free(buf);
}

struct gate_ctx {
	struct kx_diags *d;
	const char *path;
};

/* The gate's problems (kx_model_check), reported as the loader words them. */
static void
gate_problem(void *ctx, enum kx_problem_sev sev, const char *msg)
{
	struct gate_ctx *g = ctx;

	model_problem(g->d, sev == KX_PROBLEM_ERROR ? KX_SEV_ERROR : KX_SEV_WARNING, g->path, msg);
}

/* ---- the checkpoint against the config ------------------------------------- */

#define DFLT(mark) ((mark).dflt ? " (the default)" : "")

static void
cfg_problem(struct kx_diags *d, const struct kx_kancfg *c, struct kx_yaml_mark at,
            enum kx_severity sev, const char *msg)
{
	kx_diags_add(d, sev, c->path, at.line, at.col, NULL, "%s", msg);
}

static void
check_against(struct kx_diags *d, const struct kx_model *m, const struct kx_kancfg *c)
{
	char msg[2048], a[KX_FLOAT_BUF], b[KX_FLOAT_BUF], e[KX_FLOAT_BUF], f[KX_FLOAT_BUF];
	size_t i, o = 0, nk = 0;
	int widths_ok = 1;
	float lo = (float)c->grid_range[0], hi = (float)c->grid_range[1];

	/* widths: the config builds KAN(layers) = KANLinear(layers[i], layers[i+1]) */
	for (i = 0; i < m->n_layers; i++) {
		const struct kx_layer *l = &m->layers[i];
		if (!kx_layer_as_kan(l)) {
			snprintf(msg, sizeof msg, "the config builds a KAN of KANLinear layers, but the checkpoint "
			         "has layer '%s' (%s)", l->name, l->class_name ? l->class_name : "?");
			cfg_problem(d, c, c->at_layers, KX_SEV_ERROR, msg);
			continue;
		}
		if (nk + 1 >= c->n_layers || l->in != c->layers[nk] || l->out != c->layers[nk + 1])
			widths_ok = 0;
		nk++;
	}
	if (nk + 1 != c->n_layers)
		widths_ok = 0;
	if (!widths_ok) {
		o = (size_t)snprintf(msg, sizeof msg, "model.layers is [");
		for (i = 0; i < c->n_layers && o < sizeof msg; i++)
			o += (size_t)snprintf(msg + o, sizeof msg - o, "%s%zu", i ? ", " : "", c->layers[i]);
		if (o < sizeof msg)
			o += (size_t)snprintf(msg + o, sizeof msg - o, "] but the checkpoint's widths are [%zu", m->in);
		for (i = 0; i < m->n_layers && o < sizeof msg; i++)
			if (m->layers[i].ops->tensors)  /* the layers with weights set the widths */
				o += (size_t)snprintf(msg + o, sizeof msg - o, ", %zu", m->layers[i].out);
		if (o < sizeof msg)
			snprintf(msg + o, sizeof msg - o, "]");
		cfg_problem(d, c, c->at_layers, KX_SEV_ERROR, msg);
	}
	for (i = 0; i < m->n_layers; i++) {
		const struct kx_layer *l = &m->layers[i];
		size_t off, first = 0;
		if (!kx_layer_as_kan(l))
			continue;
		if (l->G != c->grid_size) {
			snprintf(msg, sizeof msg, "model.grid_size is %zu%s but layer '%s' has grid_size %zu (from its weights)",
			         c->grid_size, DFLT(c->at_grid_size), l->name, l->G);
			cfg_problem(d, c, c->at_grid_size, KX_SEV_ERROR, msg);
		}
		if (l->k != c->spline_order) {
			snprintf(msg, sizeof msg, "model.spline_order is %zu%s but layer '%s' has spline_order %zu (from its weights)",
			         c->spline_order, DFLT(c->at_spline_order), l->name, l->k);
			cfg_problem(d, c, c->at_spline_order, KX_SEV_ERROR, msg);
		}
		if (!kx_act_equal(l->act, c->act)) {
			snprintf(msg, sizeof msg, "model.base_activation is '%s'%s but layer '%s' uses '%s'",
			         c->base_activation, DFLT(c->at_base_activation), l->name, kx_act_name(l->act));
			cfg_problem(d, c, c->at_base_activation, KX_SEV_ERROR, msg);
		}
		/* Grid ends against grid_range. A uniform grid over other ends was
		 * built with another grid_range: an error. A non-uniform grid was
		 * updated from samples, which moves the ends: a warning. */
		off = kx_grid_ends_off(l, lo, hi, &first);
		if (off > 0) {
			const float *g = l->grid + first * (l->G + 1);
			snprintf(msg, sizeof msg, "model.grid_range is [%s, %s]%s but layer '%s' has %zu of %zu features "
			         "with other grid ends (feature %zu: [%s, %s])%s", fmtf(lo, a), fmtf(hi, b),
			         DFLT(c->at_grid_range), l->name,
			         off, l->in, first, fmtf(g[0], e), fmtf(g[l->G], f),
			         l->kn.uniform ? "" : "; the grid is non-uniform, as after update_grid_from_samples");
			cfg_problem(d, c, c->at_grid_range, l->kn.uniform ? KX_SEV_ERROR : KX_SEV_WARNING, msg);
		}
	}
}

/* ---- inputs ---------------------------------------------------------------- */

/* Read a whole file ("-" = stdin) up to max bytes. Returns 0, 1 when it is
 * larger than max (nothing kept), -1 with errno on failure. */
static int
slurp(const char *path, size_t max, char **out, size_t *len)
{
	FILE *f = kx_path_is_stdin(path) ? stdin : fopen(path, "rb");
	char *buf = NULL;
	size_t cap = 0, n = 0, got;  /* cap: bytes of buf, the NUL's included */
	/* at most max + 1 bytes read (enough to tell the file is larger)
	 * and the NUL */
	size_t most = max > SIZE_MAX - 2 ? SIZE_MAX : max + 2, need;
	int err;

	*out = NULL;
	*len = 0;
	if (f == NULL)
		return -1;
	for (;;) {
		if (n + 1 >= cap) {
			if (n > max) {
				free(buf);
				if (f != stdin)
					fclose(f);
				return 1;
			}
			/* 64 KiB first, then doubled, up to most */
			need = n < 65536 ? 65537 : n + 2;
			if (kx_grow_max(&buf, &cap, need < most ? need : most, most, 1) != 0) {
				free(buf);
				if (f != stdin)
					fclose(f);
				errno = ENOMEM;
				return -1;
			}
		}
		got = fread(buf + n, 1, cap - 1 - n, f);
		n += got;
		if (got == 0)
			break;
	}
	err = ferror(f) ? errno : 0;
	if (f != stdin)
		fclose(f);
	if (err) {
		free(buf);
		errno = err;
		return -1;
	}
	if (n > max) {
		free(buf);
		return 1;
	}
	buf[n] = '\0';
	*out = buf;
	*len = n;
	return 0;
}

static void
batch_problem(struct kx_diags *d, int status, const char *file, unsigned long line,
              unsigned long col, const char *where, const char *msg)
{
	struct kx_diag *x;

	kx_diags_add(d, KX_SEV_ERROR, file, line, col, where, "%s", msg);
	x = kx_diags_last(d);
	if (x)
		x->status = status;
}

/* Values outside the grid of the first layer (or the config's grid_range
 * when there is no model) are legal but extrapolated: counted per feature
 * over an input, then one warning with the counts. */
struct coverage {
	const struct kx_layer *l;     /* the first layer, a KAN one; or NULL */
	float lo, hi;                 /* without a layer: the config's range */
	size_t cols, values;
	size_t *below, *above;        /* per feature */
};

static int
coverage_init(struct coverage *v, size_t cols, const struct kx_model *m, const struct kx_kancfg *c)
{
	memset(v, 0, sizeof *v);
	v->l = m && m->n_layers ? kx_layer_as_kan(&m->layers[0]) : NULL;
	if ((v->l == NULL && (m != NULL || c == NULL)) || cols == 0)
		return 0;  /* nothing to check against */
	if (c) {
		v->lo = (float)c->grid_range[0];
		v->hi = (float)c->grid_range[1];
	}
	v->cols = cols;
	v->below = kx_calloc(cols, sizeof *v->below);
	v->above = kx_calloc(cols, sizeof *v->above);
	return v->below && v->above ? 0 : -1;
}

static void
coverage_add(struct coverage *v, const struct kx_batch *b)
{
	size_t i, j;

	if (!v->below || b->in != v->cols)
		return;
	for (j = 0; j < v->cols; j++) {
		float lo = v->l ? v->l->grid[j * (v->l->G + 1)] : v->lo;
		float hi = v->l ? v->l->grid[j * (v->l->G + 1) + v->l->G] : v->hi;
		for (i = 0; i < b->n; i++) {
			double x = b->x64 ? b->x64[i * b->in + j] : b->x[i * b->in + j];
			v->below[j] += x < lo;
			v->above[j] += x > hi;
		}
	}
	v->values += b->n * v->cols;
}

static void
coverage_report(struct kx_diags *d, const char *file, struct coverage *v)
{
	size_t j, below = 0, above = 0, nfeat = 0, firstf = 0;
	char a[KX_FLOAT_BUF], b[KX_FLOAT_BUF];

	for (j = 0; v->below && j < v->cols; j++) {
		if (v->below[j] + v->above[j] && nfeat++ == 0)
			firstf = j;
		below += v->below[j];
		above += v->above[j];
	}
	if (below + above > 0)
		kx_diags_add(d, KX_SEV_WARNING, file, 0, 0, "x", "%zu of %zu values are outside the grid%s%s%s "
		             "(%zu below, %zu above) in %zu of %zu features, e.g. feature %zu outside [%s, %s]; "
		             "the splines extrapolate there", below + above, v->values,
		             v->l ? " of layer '" : " range of the config", v->l ? v->l->name : "",
		             v->l ? "'" : "", below, above, nfeat, v->cols, firstf,
		             fmtf(v->l ? v->l->grid[firstf * (v->l->G + 1)] : v->lo, a),
		             fmtf(v->l ? v->l->grid[firstf * (v->l->G + 1) + v->l->G] : v->hi, b));
	free(v->below);
	free(v->above);
	v->below = v->above = NULL;
}

/* A refused record, or input that cannot be read on, as a problem with
 * its position and the API's status. */
static void
input_problem(struct kx_diags *d, const struct kx_rows *r, const struct kx_err *e, const char *file,
              const char *path)
{
	size_t line, col;
	const char *msg = kx_rows_error(r, e, &line, &col);

	switch (kx_rows_misplaced(r)) {
	case KX_MISPLACED_MODEL:
		kx_diags_add(d, KX_SEV_ERROR, file, 0, 0, NULL, "%s; did you mean -m %s?", msg, path);
		return;
	case KX_MISPLACED_WEIGHTS:
		kx_diags_add(d, KX_SEV_ERROR, file, 0, 0, NULL, "%s; the weights of a model are inside "
		             "its .keras file: did you mean -m MODEL.keras?", msg);
		return;
	case KX_MISPLACED_CONFIG:
		kx_diags_add(d, KX_SEV_ERROR, file, 0, 0, NULL, "%s; did you mean --config %s?", msg, path);
		return;
	}
	{
		/* the status is said once, by batch_problem */
		size_t n = strlen(msg);
		char bare[KX_ERR_MAX];
		if (n > 6 && strcmp(msg + n - 6, " (413)") == 0 && n - 6 < sizeof bare) {
			memcpy(bare, msg, n - 6);
			bare[n - 6] = '\0';
			msg = bare;
		}
		batch_problem(d, e->status ? e->status : 400, file, line, col, NULL, msg);
	}
}

/* Check one input as the batch (or, API documents, the batches) the API
 * would be sent. Returns 0; 1 when it could not be read (a message is
 * printed: the I/O class); -1 when memory ran out. */
static int
check_input(struct kx_diags *d, const char *path, const struct vopts *o, const struct kx_limits *lim,
            const struct kx_model *m, const struct kx_kancfg *c)
{
	struct kx_rows_opts ro;
	struct kx_rows *r;
	struct kx_batch b;
	struct coverage cov;
	struct kx_err e;
	const char *file = kx_path_name(path);
	size_t in = m ? m->in : c && c->n_layers > 0 ? c->layers[0] : 0, rows = 0;
	char msg[200];
	int st, rc = 0, done = 0;

	memset(&ro, 0, sizeof ro);
	ro.fmt = o->fmt;
	ro.header = o->header;
	ro.id = o->id;
	ro.delim = o->delim;
	ro.quote = o->quote;
	ro.no_quote = o->no_quote;
	ro.columns = o->columns;
	ro.in = in;
	ro.lim = lim;
	kx_err_clear(&e);
	if ((r = kx_rows_open(path, &ro, &e)) == NULL) {
		kx_err_print(&e);
		return e.code == KX_EXIT_INTERNAL ? -1 : e.code == KX_EXIT_USAGE ? 2 : 1;
	}
	/* without a width, one row at a time until the first record gives it */
	/* a float64 model reads its rows into doubles, as predict does */
	if (kx_batch_init(&b, in, 1, in ? 1024 : 1, lim->max_batch, &e) != 0 ||
	    (m && kx_model_in64(m) && kx_batch_double(&b, 1, NULL, &e) != 0) ||
	    coverage_init(&cov, in, m, c) != 0) {
		kx_batch_fini(&b);
		kx_rows_close(r);
		return -1;
	}
	while (!done) {
		kx_err_clear(&e);
		st = kx_rows_fill(r, &b, &e);
		coverage_add(&cov, &b);
		rows += b.n;
		kx_batch_reset(&b);
		switch (st) {
		case KX_FILL_READY:
			break;
		case KX_FILL_REJECT:
			input_problem(d, r, &e, file, path);
			rows++;  /* a refused record is still a row of the batch */
			break;
		case KX_FILL_EOF:
		case KX_FILL_STOP:  /* main.c says so */
			done = 1;
			break;
		default:
			if (e.code == KX_EXIT_IO || e.code == KX_EXIT_INTERNAL) {
				kx_err_print(&e);
				rc = e.code == KX_EXIT_IO ? 1 : -1;
			} else {
				input_problem(d, r, &e, file, path);
			}
			done = 1;
		}
	}
	/* the whole input is one request, unless it is API documents (each
	 * of them one, and each held to the max batch as it is read) */
	if (kx_rows_format(r) != KX_IN_API && rows > lim->max_batch) {
		snprintf(msg, sizeof msg, "Batch size %zu > MAX_BATCH=%zu: the whole input is one request",
		         rows, lim->max_batch);
		batch_problem(d, 413, file, 0, 0, NULL, msg);
	}
	coverage_report(d, file, &cov);
	kx_batch_fini(&b);
	kx_rows_close(r);
	return rc;
}

/* ---- report -------------------------------------------------------------------- */

/* The text report: each problem a diagnostic on stderr, as every
 * command prints them ("kanx: FILE:LINE:COL: message"), and the summary
 * line, the report a script reads, on stdout. */
static void
print_text(const struct kx_diags *d)
{
	size_t i;

	for (i = 0; i < d->n; i++) {
		const struct kx_diag *x = &d->v[i];
		fputs(x->sev == KX_SEV_WARNING ? "kanx: warning: " : "kanx: ", stderr);
		if (x->file) {
			fprintf(stderr, "%s%s%s", x->file, x->member ? ":" : "", x->member ? x->member : "");
			if (x->line)
				fprintf(stderr, ":%lu:%lu: ", x->line, x->col);
			else
				fputs(": ", stderr);
		}
		if (x->where)
			fprintf(stderr, "%s: ", x->where);
		fputs(x->msg, stderr);
		if (x->status)
			fprintf(stderr, " (the API answers %d)", x->status);
		fputc('\n', stderr);
	}
	if (d->dropped)
		fprintf(stderr, "kanx: ... and %zu more problems not shown\n", d->dropped);
	fflush(stderr);
	kx_sink_printf(kx_sink_stdout(), "kanx: validate: %s: %zu error%s, %zu warning%s\n",
	               d->errors ? "problems found" : "sound",
	               d->errors, d->errors == 1 ? "" : "s", d->warnings, d->warnings == 1 ? "" : "s");
}

static int
print_json(const struct kx_diags *d, const char *model, const char *config, char **inputs, int n_inputs)
{
	cJSON *o = cJSON_CreateObject(), *chk, *arr, *p;
	char *s;
	size_t i;
	int k;

	if (o == NULL)
		return -1;
	cJSON_AddBoolToObject(o, "sound", d->errors == 0);
	cJSON_AddNumberToObject(o, "errors", (double)d->errors);
	cJSON_AddNumberToObject(o, "warnings", (double)d->warnings);
	cJSON_AddNumberToObject(o, "not_shown", (double)d->dropped);
	chk = cJSON_AddObjectToObject(o, "checked");
	if (model)
		cJSON_AddStringToObject(chk, "model", model);
	else
		cJSON_AddNullToObject(chk, "model");
	if (config)
		cJSON_AddStringToObject(chk, "config", config);
	else
		cJSON_AddNullToObject(chk, "config");
	arr = cJSON_AddArrayToObject(chk, "inputs");
	for (k = 0; k < n_inputs; k++)
		cJSON_AddItemToArray(arr, cJSON_CreateString(inputs[k]));
	arr = cJSON_AddArrayToObject(o, "problems");
	for (i = 0; i < d->n; i++) {
		const struct kx_diag *x = &d->v[i];
		p = cJSON_CreateObject();
		cJSON_AddStringToObject(p, "severity", x->sev == KX_SEV_ERROR ? "error" : "warning");
		if (x->file)
			cJSON_AddStringToObject(p, "file", x->file);
		else
			cJSON_AddNullToObject(p, "file");
		if (x->line) {
			cJSON_AddNumberToObject(p, "line", (double)x->line);
			cJSON_AddNumberToObject(p, "column", (double)x->col);
		} else {
			cJSON_AddNullToObject(p, "line");
			cJSON_AddNullToObject(p, "column");
		}
		if (x->member)
			cJSON_AddStringToObject(p, "member", x->member);
		else
			cJSON_AddNullToObject(p, "member");
		if (x->where)
			cJSON_AddStringToObject(p, "location", x->where);
		else
			cJSON_AddNullToObject(p, "location");
		if (x->status)
			cJSON_AddNumberToObject(p, "status", x->status);
		else
			cJSON_AddNullToObject(p, "status");
		cJSON_AddStringToObject(p, "message", x->msg);
		cJSON_AddItemToArray(arr, p);
	}
	s = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	if (s == NULL)
		return -1;
	kx_sink_printf(kx_sink_stdout(), "%s\n", s);
	free(s);
	return 0;
}

/* ---- the command ----------------------------------------------------------------- */

static const char *
env_or(const char *v, const char *name)
{
	const char *e;

	if (v)
		return v;
	e = getenv(name);
	return e && *e ? e : NULL;
}

static int
exec_validate(int argc, char **argv)
{
	struct vopts o = { 0 };

	o.header = -1;
	struct kx_limits lim;
	struct kx_diags d;
	struct kx_model *m = NULL;
	struct kx_kancfg *c = NULL;
	struct kx_err e;
	const char *msg, *model, *config;
	int first, rc = KX_EXIT_OK, io = 0, usage_err = 0, i, stdin_uses = 0;

	first = kx_cli_parse(&kx_cmd_validate, argc, argv, set_opt, &o, &rc);
	if (first < 0)
		return rc;
	if (kx_limits_init(&lim, &msg) != 0) {
		kx_msg("%s", msg);
		return KX_EXIT_USAGE;
	}
	if (o.max_batch)
		lim.max_batch = o.max_batch;
	model = env_or(o.model, "KANX_CHECKPOINT");
	config = env_or(o.config, "KANX_CONFIG");
	if (model == NULL && config == NULL && first == argc) {
		kx_msg("validate: nothing to check: give a model (-m), a config (--config) or request documents");
		fprintf(stderr, "Try 'kanx validate --help'.\n");
		return KX_EXIT_USAGE;
	}
	stdin_uses = (model && kx_path_is_stdin(model)) + (config && kx_path_is_stdin(config));
	for (i = first; i < argc; i++)
		stdin_uses += kx_path_is_stdin(argv[i]);
	if (stdin_uses > 1) {
		kx_msg("validate: '-' is given %d times, but %s can be read only once", stdin_uses, KX_STDIN_NAME);
		return KX_EXIT_USAGE;
	}
	kx_diags_init(&d);

	if (model) {
		kx_err_clear(&e);
		m = kx_model_load_unchecked(model, &lim, &e);
		if (m == NULL) {
			if (e.code == KX_EXIT_NOMODEL) {
				kx_err_print(&e);
				rc = KX_EXIT_NOMODEL;
				goto out;
			}
			if (e.code == KX_EXIT_INTERNAL) {
				kx_err_print(&e);
				rc = KX_EXIT_INTERNAL;
				goto out;
			}
			loader_problems(&d, kx_path_name(model), e.msg);
		} else {
			struct gate_ctx g = { &d, m->path };
			kx_model_check(m, gate_problem, &g);
		}
	}
	if (config) {
		kx_err_clear(&e);
		if (kx_path_is_stdin(config)) {
			char *buf;
			size_t len;
			int got = slurp(config, lim.config_bytes, &buf, &len);
			if (got < 0) {
				kx_msg("%s: %s", KX_STDIN_NAME, strerror(errno));
				rc = KX_EXIT_IO;
				goto out;
			}
			if (got > 0)
				kx_diags_add(&d, KX_SEV_ERROR, KX_STDIN_NAME, 0, 0, NULL, "config is over the limit of %zu bytes",
				             lim.config_bytes);
			else if (kx_kancfg_read_mem(KX_STDIN_NAME, buf, len, &lim, &c, &d, &e) != 0) {
				free(buf);
				kx_err_print(&e);
				rc = KX_EXIT_INTERNAL;
				goto out;
			}
			free(buf);
		} else if (kx_kancfg_read(config, &lim, &c, &d, &e) != 0) {
			kx_err_print(&e);
			rc = e.code == KX_EXIT_INTERNAL ? KX_EXIT_INTERNAL : KX_EXIT_IO;
			goto out;
		}
	}
	if (m && c)
		check_against(&d, m, c);
	for (i = first; i < argc; i++) {
		int got = check_input(&d, argv[i], &o, &lim, m, c);
		if (got < 0)
			d.oom = 1;
		else if (got == 2)
			usage_err = 1;
		else if (got > 0)
			io = 1;
	}
	if (usage_err) {
		rc = KX_EXIT_USAGE;
		goto out;
	}
	if (d.oom) {
		kx_msg("validate: out of memory");
		rc = KX_EXIT_INTERNAL;
		goto out;
	}
	if (o.json) {
		if (print_json(&d, model, config, argv + first, argc - first) != 0) {
			kx_msg("validate: out of memory");
			rc = KX_EXIT_INTERNAL;
			goto out;
		}
	} else {
		print_text(&d);
	}
	rc = io ? KX_EXIT_IO : d.errors ? KX_EXIT_PROBLEMS : KX_EXIT_OK;
out:
	kx_model_free(m);
	kx_kancfg_free(c);
	kx_diags_free(&d);
	return rc;
}

const struct kx_cmd kx_cmd_validate = {
	"validate", "check a checkpoint, a YAML config and request documents the way the API would",
	opts, "[-m MODEL] [--config FILE] [--max-batch N] [--json] [INPUT ...]", exec_validate
};
