/* cmd_serve.c - kanx serve-stdin: the kanx REST API as a JSON-lines
 * co-process.
 *
 * One request object per line on stdin, exactly one response object per
 * line on stdout, in order, flushed after each, until EOF. The bodies,
 * status codes and messages are those of the kanx server (POST /api/predict,
 * /api/load, /api/reset, GET /api/health, /api/info); errors are
 * {"status": CODE, "detail": MESSAGE} and the loop goes on. Memory is
 * bounded by the line limit: a longer line is read through and discarded,
 * never buffered. No request payload is ever logged. */
#define _XOPEN_SOURCE 700  /* realpath */
#include "config.h"

#include <blis.h>
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <poll.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "clock.h"
#include "err.h"
#include "kanx.h"
#include "layer.h"
#include "kernel.h"
#include "kxlimits.h"
#include "dtype.h"
#include "model.h"
#include "numfmt.h"
#include "request.h"
#include "sink.h"
#include "stop.h"
#include "text.h"
#include "typo.h"
#include "yamlcfg.h"

const struct kx_cmd kx_cmd_serve;

enum {
	OPT_MODEL = 'm',
	OPT_CONFIG = 'c',
	OPT_MAX_BATCH = 256,
	OPT_MAX_LINE,
	OPT_NO_ADMIN,
	OPT_MODEL_DIR
};

static const struct kx_optdef opts[] = {
	{ "model", 'm', "MODEL", OPT_MODEL, "checkpoint to serve (default $KANX_CHECKPOINT)" },
	{ "config", 'c', "FILE", OPT_CONFIG, "kanx YAML config for fresh models and reset (default $KANX_CONFIG)" },
	{ "max-batch", 0, "N", OPT_MAX_BATCH, "rows per predict request, else 413 (default $KANX_MAX_BATCH or 4096)" },
	{ "max-line", 0, "BYTES", OPT_MAX_LINE, "longest request line, else 413 (default $KANX_MAX_LINE or 16 MiB)" },
	{ "no-admin", 0, NULL, OPT_NO_ADMIN, "refuse the load and reset ops (403)" },
	{ "model-dir", 0, "DIR", OPT_MODEL_DIR, "load only checkpoints that resolve to a path under DIR (else 403)" },
	{ NULL, 0, NULL, 0, NULL }
};

struct serve_opts {
	const char *model, *config, *model_dir;
	size_t max_batch, max_line;
	int no_admin;
};

static int
set_opt(void *ctx, int val, const char *arg)
{
	struct serve_opts *o = ctx;

	switch (val) {
	case OPT_MODEL:
		o->model = arg;
		break;
	case OPT_CONFIG:
		o->config = arg;
		break;
	case OPT_MAX_BATCH:
		return kx_cli_size("--max-batch", arg, 1, (size_t)1 << 30, &o->max_batch);
	case OPT_MAX_LINE:
		return kx_cli_size("--max-line", arg, 64, (size_t)1 << 30, &o->max_line);
	case OPT_NO_ADMIN:
		o->no_admin = 1;
		break;
	case OPT_MODEL_DIR:
		o->model_dir = arg;
		break;
	}
	return 0;
}

/* ---- response text ------------------------------------------------------- */

struct out {
	char *p;
	size_t len, cap;
	int oom;
};

/* Room for n more bytes (and a NUL) after len: 0, or -1 (oom set). */
static int
out_room(struct out *o, size_t n)
{
	size_t need;

	if (o->oom)
		return -1;
	/* 4096 bytes first, then doubled */
	if (kx_add(o->len, n, &need) != 0 || kx_add(need, 1, &need) != 0 ||
	    kx_grow(&o->p, &o->cap, need < 4096 ? 4096 : need, 1) != 0) {
		o->oom = 1;
		return -1;
	}
	return 0;
}

static void
out_put(struct out *o, const char *s, size_t n)
{
	if (out_room(o, n) != 0)
		return;
	memcpy(o->p + o->len, s, n);
	o->len += n;
}

static void out_s(struct out *o, const char *s) { out_put(o, s, strlen(s)); }

static void out_f(struct out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
out_f(struct out *o, const char *fmt, ...)
{
	char buf[256];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	if (n > 0)
		out_put(o, buf, (size_t)n < sizeof buf ? (size_t)n : sizeof buf - 1);
}

/* A JSON string (text.h: bytes that are not valid UTF-8 become U+FFFD). */
static void
out_str(struct out *o, const char *s)
{
	size_t n = strlen(s), room;

	if (kx_mul(n, 6, &room) != 0 || kx_add(room, 2, &room) != 0 || out_room(o, room) != 0)
		return;
	o->len += kx_json_quote(o->p + o->len, s, n);
}

/* A double with up to prec decimals, trailing zeros trimmed ("0.0" at least),
 * the way Python prints round(x, prec). */
static void
out_dbl(struct out *o, double v, int prec)
{
	char buf[64];
	size_t n;

	if (!isfinite(v)) {
		out_s(o, "null");
		return;
	}
	snprintf(buf, sizeof buf, "%.*f", prec, v);
	n = strlen(buf);
	while (n > 2 && buf[n - 1] == '0' && buf[n - 2] != '.')
		n--;
	buf[n] = '\0';
	if (strcmp(buf, "-0.0") == 0)
		strcpy(buf, "0.0");
	out_s(o, buf);
}

/* ---- the server ------------------------------------------------------------ */

enum op {
	OP_PREDICT, OP_HEALTH, OP_INFO, OP_LOAD, OP_RESET, OP_METRICS, OP_INVALID, N_OPS
};

static const char *const op_names[N_OPS] = {
	"predict", "health", "info", "load", "reset", "metrics", "invalid"
};

static const int statuses[] = { 200, 400, 403, 404, 413, 422, 500, 503 };
#define N_STATUS (sizeof statuses / sizeof statuses[0])

/* Latency histogram bounds in milliseconds (cumulative, Prometheus-style). */
static const double lat_le[] = { 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 25, 50, 100, 250,
	500, 1000, 2500, 5000, 10000 };
#define N_LE (sizeof lat_le / sizeof lat_le[0])
static const char *const bucket_names[4] = { "1", "2-10", "11-100", "101+" };

struct server {
	struct kx_limits lim;
	const char *config;          /* may be NULL */
	char *model_dir;             /* realpath of --model-dir, or NULL */
	int no_admin;

	struct kx_model *m;
	char *source;                /* "checkpoint:PATH", "fresh:CONFIG" or "uninitialized" */
	double loaded_at;            /* Unix time; 0 when none */
	struct kx_work *work;
	size_t work_rows;
	float *y;
	size_t y_cap;
	double *y64;              /* a model with float64 outputs: its outputs in double */
	unsigned char *cols64;    /* and which columns are float64 (kx_model_out64) */
	size_t y64_cap;

	struct kx_req req;
	struct out out;

	/* metrics */
	double started;
	unsigned long long total;
	unsigned long long count[N_OPS][N_STATUS];
	unsigned long long lat_n[4], lat_le_n[4][N_LE];
	double lat_sum[4];
};

static int
batch_bucket(size_t n)
{
	return n <= 1 ? 0 : n <= 10 ? 1 : n <= 100 ? 2 : 3;
}

static void
count(struct server *s, enum op op, int status)
{
	size_t i;

	s->total++;
	for (i = 0; i < N_STATUS; i++)
		if (statuses[i] == status)
			s->count[op][i]++;
}

static char *
dupf(const char *prefix, const char *s)
{
	size_t a = strlen(prefix), b = strlen(s);
	char *p = malloc(a + b + 1);

	if (p) {
		memcpy(p, prefix, a);
		memcpy(p + a, s, b + 1);
	}
	return p;
}

/* Install a model (taking ownership) with its source label. */
static int
install(struct server *s, struct kx_model *m, const char *prefix, const char *what)
{
	char *src = dupf(prefix, what);

	if (src == NULL) {
		kx_model_free(m);
		return -1;
	}
	kx_model_free(s->m);
	kx_work_free(s->work);
	free(s->source);
	s->m = m;
	s->work = NULL;
	s->work_rows = 0;
	s->source = src;
	s->loaded_at = kx_clock_unix();
	return 0;
}

/* ---- response helpers ---- */

static void
begin(struct server *s)
{
	s->out.len = 0;
	s->out.oom = 0;
	out_put(&s->out, "{", 1);
	if (s->req.id) {
		/* Raw JSON text; raw tabs and line breaks can only be whitespace
		 * between tokens (strings refuse them), so a space keeps the reply
		 * on one line for every kind of line reader. */
		size_t i, start;
		out_s(&s->out, "\"id\": ");
		start = s->out.len;
		out_put(&s->out, s->req.id, s->req.id_len);
		if (!s->out.oom)
			for (i = start; i < s->out.len; i++)
				if (s->out.p[i] == '\r' || s->out.p[i] == '\n' || s->out.p[i] == '\t')
					s->out.p[i] = ' ';
		out_s(&s->out, ", ");
	}
}

static int error_reply(struct server *s, int status, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int
error_reply(struct server *s, int status, const char *fmt, ...)
{
	char msg[KX_ERR_MAX + 256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	begin(s);
	out_f(&s->out, "\"status\": %d, \"detail\": ", status);
	out_str(&s->out, msg);
	out_s(&s->out, "}");
	return status;
}

static void
status_fields(struct server *s)
{
	struct out *o = &s->out;

	out_f(o, "\"loaded\": %s, \"source\": ", s->m ? "true" : "false");
	out_str(o, s->source);
	if (s->m)
		out_f(o, ", \"in_features\": %zu, \"out_features\": %zu, \"loaded_at\": ", s->m->in, s->m->out);
	else
		out_s(o, ", \"in_features\": null, \"out_features\": null, \"loaded_at\": ");
	out_dbl(o, s->loaded_at, 6);
}

/* ---- ops ---- */

static int
op_health(struct server *s)
{
	begin(s);
	out_f(&s->out, "\"status\": \"%s\", ", s->m ? "ok" : "degraded");
	status_fields(s);
	out_s(&s->out, "}");
	return 200;
}

static int
op_info(struct server *s)
{
	struct out *o = &s->out;

	begin(s);
	out_s(o, "\"name\": \"kanx\", \"version\": \"" PACKAGE_VERSION "\", \"engine\": ");
	{
		char eng[128];
		snprintf(eng, sizeof eng, "kanx-c %s kernel, BLIS %s",
		         kx_kernel_name(s->m ? (enum kx_kernel)s->m->kernel : kx_kernel_current()),
		         bli_info_get_version_str());
		out_str(o, eng);
	}
	out_s(o, ", \"model\": {");
	status_fields(s);
	if (s->m) {
		size_t i;
		out_s(o, ", \"class_name\": ");
		out_str(o, s->m->class_name ? s->m->class_name : "?");
		out_f(o, ", \"params\": %zu, \"layers\": [", kx_model_params(s->m));
		for (i = 0; i < s->m->n_layers; i++) {
			const struct kx_layer *l = &s->m->layers[i];
			out_s(o, i ? ", {\"class_name\": " : "{\"class_name\": ");
			out_str(o, l->class_name ? l->class_name : "?");
			out_f(o, ", \"in\": %zu, \"out\": %zu", l->in, l->out);
			if (kx_layer_as_kan(l))
				out_f(o, ", \"grid_size\": %zu, \"spline_order\": %zu", l->G, l->k);
			out_s(o, "}");
		}
		out_s(o, "]");
	}
	out_f(o, "}, \"max_batch\": %zu}", s->lim.max_batch);
	return 200;
}

static int
ensure_work(struct server *s, size_t rows)
{
	size_t n;

	if (s->work == NULL || s->work_rows < rows) {
		size_t want = s->work_rows ? s->work_rows : 16;
		while (want < rows)
			want *= 2;
		if (want > s->lim.max_batch)
			want = s->lim.max_batch;
		if (want < rows)
			want = rows;
		kx_work_free(s->work);
		s->work = kx_work_new(s->m, want);
		s->work_rows = s->work ? want : 0;
		if (s->work == NULL)
			return -1;
	}
	if (kx_mul(rows, s->m->out, &n) != 0)
		return -1;
	if (n > s->y_cap) {
		free(s->y);
		s->y = kx_mallocarray(n, sizeof *s->y);
		s->y_cap = s->y ? n : 0;
		if (s->y == NULL)
			return -1;
	}
	if (kx_model_out64(s->m, NULL)) {
		if (n > s->y64_cap) {
			free(s->y64);
			s->y64 = kx_mallocarray(n, sizeof *s->y64);
			s->y64_cap = s->y64 ? n : 0;
			if (s->y64 == NULL)
				return -1;
		}
		free(s->cols64);
		if (!(s->cols64 = malloc(s->m->out ? s->m->out : 1)))
			return -1;
		kx_model_out64(s->m, s->cols64);
	}
	return 0;
}

static int
op_predict(struct server *s)
{
	struct kx_req *r = &s->req;
	struct out *o = &s->out;
	size_t rows, cols, i, j, nout;
	double t0, dt;
	char shape[KX_REQ_MAXRANK * 24];
	int b, out64;

	/* Request validation (FastAPI answers these 422 before the route runs). */
	if (!r->has_x)
		return error_reply(s, 422, "Field required: x");
	if (r->x_status == KX_X_NOT_LIST)
		return error_reply(s, 422, "x must be a list of numbers or a list of lists of numbers");
	if (r->x_status == KX_X_NOT_NUMBER)
		return error_reply(s, 422, "%s", r->x_where);
	if (s->m == NULL)
		return error_reply(s, 503, "Model not initialised");
	if (r->x_status == KX_X_RAGGED)
		return error_reply(s, 400, "x must be 1-D or 2-D; got a ragged list: %s", r->x_where);
	if (r->x_status == KX_X_TOO_DEEP)
		return error_reply(s, 400, "x must be 1-D or 2-D; got more than %d dimensions", KX_REQ_MAXRANK);
	if (r->x_status == KX_X_RANGE)
		return error_reply(s, 400, "%s", r->x_where);
	if (r->rank != 1 && r->rank != 2) {
		kx_req_shape_str(r, shape, sizeof shape);
		return error_reply(s, 400, "x must be 1-D or 2-D; got shape %s", shape);
	}
	rows = r->rank == 1 ? 1 : r->shape[0];
	cols = r->rank == 1 ? r->shape[0] : r->shape[1];
	if (cols != s->m->in)
		return error_reply(s, 400, "Expected %zu features per sample, got %zu", s->m->in, cols);
	if (rows > s->lim.max_batch)
		return error_reply(s, 413, "Batch size %zu > MAX_BATCH=%zu", rows, s->lim.max_batch);
	if (ensure_work(s, rows) != 0)
		return error_reply(s, 500, "Out of memory for a batch of %zu rows", rows);

	t0 = kx_clock_ms();
	/* a float64 model: its rows in double (the request parsed them so),
	 * its float64 outputs in double */
	out64 = kx_model_out64(s->m, NULL) != 0;
	if ((r->f64 || out64 ? kx_model_forward64(s->m, s->work, r->x, r->f64 ? r->x64 : NULL, rows, s->y,
	                                          out64 ? s->y64 : NULL) :
	     kx_model_forward(s->m, s->work, r->x, rows, s->y)) != 0)
		return error_reply(s, 500, "Inference failed for a batch of %zu rows", rows);
	dt = kx_clock_ms() - t0;
	nout = rows * s->m->out;
	for (i = 0; i < nout; i++)
		if (out64 ? !isfinite(s->y64[i]) : !isfinite(s->y[i]))
			return error_reply(s, 500, "Out of range float values are not JSON compliant "
			                   "(the model output has nan or inf in row %zu)", i / s->m->out);

	b = batch_bucket(rows);
	s->lat_n[b]++;
	s->lat_sum[b] += dt;
	for (i = 0; i < N_LE; i++)
		if (dt <= lat_le[i])
			s->lat_le_n[b][i]++;

	begin(s);
	out_s(o, "\"output\": [");
	for (i = 0; i < rows; i++) {
		out_s(o, i ? ", [" : "[");
		for (j = 0; j < s->m->out; j++) {
			char num[KX_DOUBLE_BUF > KX_FLOAT_BUF ? KX_DOUBLE_BUF : KX_FLOAT_BUF];
			size_t k = i * s->m->out + j;
			size_t n = !out64 ? kx_format_float(s->y[k], num) :
			           s->cols64[j] ? kx_format_double(s->y64[k], num) :
			           kx_format_float((float)s->y64[k], num);
			if (j)
				out_put(o, ", ", 2);
			out_put(o, num, n);
		}
		out_s(o, "]");
	}
	out_f(o, "], \"shape\": [%zu, %zu], \"inference_ms\": ", rows, s->m->out);
	out_dbl(o, dt, 3);
	out_s(o, "}");
	return 200;
}

/* Make m the served model (load and reset) and answer with its status. */
static int
install_reply(struct server *s, struct kx_model *m, const char *kind, const char *src)
{
	if (install(s, m, kind, src) != 0)
		return error_reply(s, 500, "Out of memory");
	begin(s);
	out_s(&s->out, "\"status\": \"ok\", ");
	status_fields(s);
	out_s(&s->out, "}");
	return 200;
}

static int
op_load(struct server *s)
{
	struct kx_req *r = &s->req;
	struct kx_model *m;
	struct kx_err e;
	struct stat st;
	char *resolved = NULL;
	const char *path;

	if (s->no_admin)
		return error_reply(s, 403, "load is disabled (--no-admin)");
	if (r->path_bad)
		return error_reply(s, 422, "path must be a string");
	if (r->path == NULL)
		return error_reply(s, 422, "Field required: path");
	if (r->path_nul || r->path[0] == '\0')
		return error_reply(s, 404, "Checkpoint not found: %s", r->path);
	/* "-" is a file called "-" here, never standard input (the request stream). */
	path = strcmp(r->path, "-") == 0 ? "./-" : r->path;
	if (s->model_dir) {
		size_t dl = strlen(s->model_dir);
		resolved = realpath(path, NULL);
		if (resolved == NULL)
			return error_reply(s, 404, "Checkpoint not found: %s", r->path);
		if (!(strncmp(resolved, s->model_dir, dl) == 0 &&
		      (resolved[dl] == '/' || (dl == 1 && s->model_dir[0] == '/')))) {
			free(resolved);
			return error_reply(s, 403, "Checkpoint outside the model directory: %s", r->path);
		}
		path = resolved;
	}
	if (stat(path, &st) != 0) {
		free(resolved);
		return error_reply(s, 404, "Checkpoint not found: %s", r->path);
	}
	if (!S_ISREG(st.st_mode)) {
		free(resolved);
		return error_reply(s, 400, "Failed to load: %s: not a regular file", r->path);
	}
	kx_err_clear(&e);
	m = kx_model_load(path, &s->lim, &e);
	free(resolved);
	/* 500 when kanx could not judge the file (out of memory, no process
	 * for the isolated HDF5 reader), 400 when the file is refused */
	if (m == NULL)
		return error_reply(s, e.code == KX_EXIT_INTERNAL ? 500 : 400, "Failed to load: %s", e.msg);
	return install_reply(s, m, "checkpoint:", r->path);
}

static struct kx_model *
fresh_from_config(struct server *s, struct kx_err *e)
{
	struct kx_kancfg *cfg;
	struct kx_model *m;

	cfg = kx_kancfg_load(s->config, &s->lim, NULL, NULL, e);
	if (cfg == NULL)
		return NULL;
	m = kx_model_fresh(cfg->layers, cfg->n_layers, cfg->grid_size, cfg->spline_order, cfg->act,
	                   (float)cfg->grid_range[0], (float)cfg->grid_range[1], (uint64_t)cfg->seed, e);
	kx_kancfg_free(cfg);
	return m;
}

static int
op_reset(struct server *s)
{
	struct kx_model *m;
	struct kx_err e;

	if (s->no_admin)
		return error_reply(s, 403, "reset is disabled (--no-admin)");
	if (s->config == NULL)
		return error_reply(s, 500, "No config to build a fresh model from (start with --config or KANX_CONFIG)");
	kx_err_clear(&e);
	m = fresh_from_config(s, &e);
	if (m == NULL)
		return error_reply(s, 500, "Failed to build a fresh model: %s", e.msg);
	return install_reply(s, m, "fresh:", s->config);
}

static int
op_metrics(struct server *s)
{
	struct out *o = &s->out;
	size_t i, j;
	int first;

	begin(s);
	out_f(o, "\"requests\": %llu, \"uptime_s\": ", s->total);
	out_dbl(o, (kx_clock_ms() - s->started) / 1e3, 3);
	out_s(o, ", \"ops\": {");
	for (i = 0; i < N_OPS; i++) {
		out_f(o, "%s\"%s\": {", i ? ", " : "", op_names[i]);
		first = 1;
		for (j = 0; j < N_STATUS; j++)
			if (s->count[i][j]) {
				out_f(o, "%s\"%d\": %llu", first ? "" : ", ", statuses[j], s->count[i][j]);
				first = 0;
			}
		out_s(o, "}");
	}
	out_s(o, "}, \"predict_latency_ms\": {");
	for (i = 0; i < 4; i++) {
		out_f(o, "%s\"%s\": {\"count\": %llu, \"sum\": ", i ? ", " : "", bucket_names[i], s->lat_n[i]);
		out_dbl(o, s->lat_sum[i], 3);
		out_s(o, ", \"le\": {");
		for (j = 0; j < N_LE; j++) {
			out_f(o, "%s\"%g\": %llu", j ? ", " : "", lat_le[j], s->lat_le_n[i][j]);
		}
		out_f(o, ", \"+Inf\": %llu}}", s->lat_n[i]);
	}
	out_s(o, "}}");
	return 200;
}

/* Answer one request line; leaves the response in s->out. */
static void
handle(struct server *s, char *line, size_t len)
{
	struct kx_req *r = &s->req;
	char err[200];
	size_t off;
	enum op op = OP_INVALID;
	int rc, status;

	if (len > 0 && line[len - 1] == '\r')
		len--;
	r->f64 = s->m && kx_model_in64(s->m);   /* a float64 model's x: doubles */
	rc = kx_req_parse(r, line, len, s->lim.json_depth, err, sizeof err, &off);
	if (rc == -2) {
		r->id = NULL;
		status = error_reply(s, 500, "Out of memory");
		goto done;
	}
	if (rc != 0) {
		r->id = NULL;
		status = error_reply(s, 422, "JSON decode error: %s: line 1 column %zu (char %zu)", err, off + 1, off);
		goto done;
	}
	if (r->op_bad) {
		status = error_reply(s, 422, "op must be a string");
		goto done;
	}
	if (r->op == NULL) {
		if (!r->has_x) {
			status = error_reply(s, 422, "Field required: op (or x for predict)");
			goto done;
		}
		op = OP_PREDICT;
	} else {
		size_t i;
		for (i = 0; i < OP_INVALID; i++)
			if (strcmp(r->op, op_names[i]) == 0)
				op = (enum op)i;
		if (op == OP_INVALID) {
			status = error_reply(s, 400, "Unknown op '%.64s'; expected predict, health, info, load, "
			                     "reset or metrics", r->op);
			goto done;
		}
	}
	switch (op) {
	case OP_PREDICT: status = op_predict(s); break;
	case OP_HEALTH: status = op_health(s); break;
	case OP_INFO: status = op_info(s); break;
	case OP_LOAD: status = op_load(s); break;
	case OP_RESET: status = op_reset(s); break;
	case OP_METRICS: status = op_metrics(s); break;
	default: status = error_reply(s, 500, "internal error"); break;
	}
done:
	count(s, op, status);
}

/* ---- reading lines with a bound ----------------------------------------- */

struct lines {
	int fd;
	int wait;               /* poll before read: not a regular file */
	char chunk[1 << 16];
	size_t pos, end;
	int eof;
	char *buf;
	size_t len, cap;
};

/* Next line without its newline into l->buf/len. Returns 1 for a line,
 * 2 for a line longer than max (read through and dropped), 0 at end of
 * input, -1 on a read error, 3 when asked to stop (stop.h) before a whole
 * line came. */
static int
next_line(struct lines *l, size_t max)
{
	int any = 0, over = 0;

	l->len = 0;
	for (;;) {
		char *s, *nl;
		size_t avail, take;
		if (l->pos == l->end) {
			ssize_t n;
			if (l->eof)
				return any ? (over ? 2 : 1) : 0;
			if (kx_stop_signal())
				return 3;
			if (l->wait) {
				struct pollfd pf[2] = { { l->fd, POLLIN, 0 }, { kx_stop_fd(), POLLIN, 0 } };
				if (poll(pf, 2, -1) < 0 && errno != EINTR)
					return -1;
				if (!pf[0].revents)
					continue;
			}
			n = read(l->fd, l->chunk, sizeof l->chunk);
			if (n < 0) {
				if (errno == EINTR)
					continue;
				return -1;
			}
			if (n == 0) {
				l->eof = 1;
				continue;
			}
			l->pos = 0;
			l->end = (size_t)n;
		}
		any = 1;
		s = l->chunk + l->pos;
		avail = l->end - l->pos;
		nl = memchr(s, '\n', avail);
		take = nl ? (size_t)(nl - s) : avail;
		if (!over) {
			if (take > max - l->len) {
				over = 1;
			} else {
				/* 4096 bytes first, then doubled (take <= max - len:
				 * no overflow) */
				if (kx_grow(&l->buf, &l->cap, l->len + take + 1 < 4096 ? 4096 :
				            l->len + take + 1, 1) != 0) {
					over = 1;  /* treat as too long: answered 413, stays in sync */
					goto advance;
				}
				memcpy(l->buf + l->len, s, take);
				l->len += take;
			}
		}
advance:
		l->pos += take + (nl ? 1 : 0);
		if (nl)
			return over ? 2 : 1;
	}
}

/* After a large request, give the memory back so that a long run's
 * footprint stays at the steady state. */
static void
shrink(struct server *s, struct lines *l)
{
	const size_t keep = (size_t)1 << 20;

	if (l->cap > keep) {
		free(l->buf);
		l->buf = NULL;
		l->cap = 0;
	}
	if (s->out.cap > keep) {
		free(s->out.p);
		s->out.p = NULL;
		s->out.cap = 0;
	}
	if (s->req.cap_x * sizeof(float) > keep) {
		free(s->req.x);
		s->req.x = NULL;
		s->req.cap_x = 0;
	}
	if (s->req.cap_x64 * sizeof(double) > keep) {
		free(s->req.x64);
		s->req.x64 = NULL;
		s->req.cap_x64 = 0;
	}
	if (s->work_rows > 256) {
		kx_work_free(s->work);
		s->work = NULL;
		s->work_rows = 0;
	}
	if (s->y_cap > keep / sizeof(float)) {
		free(s->y);
		s->y = NULL;
		s->y_cap = 0;
	}
	if (s->y64_cap > keep / sizeof(double)) {
		free(s->y64);
		s->y64 = NULL;
		s->y64_cap = 0;
	}
}

/* Write the reply, one line, whole (sink.h). Returns 0, or -1 when the
 * output failed or a stop came first (then main.c reports it). */
static int
write_reply(struct server *s)
{
	static const char oom[] = "{\"status\": 500, \"detail\": \"Out of memory\"}\n";
	struct kx_sink *out = kx_sink_stdout();

	out_put(&s->out, "\n", 1);
	if (s->out.oom)
		return kx_sink_write(out, oom, sizeof oom - 1, NULL, NULL) == sizeof oom - 1 ? 0 : -1;
	return kx_sink_write(out, s->out.p, s->out.len, NULL, NULL) == s->out.len ? 0 : -1;
}

static void
warn_cb(void *ctx, const char *msg)
{
	(void)ctx;
	kx_warn("%s", msg);
}

/* -m MODEL does not exist: say so, with the nearest .keras file next to
 * it when there is one (a typo). */
static void
missing_model(const char *model)
{
	const char *slash = strrchr(model, '/'), *base = slash ? slash + 1 : model, *near;
	char dir[4096], *names[65];
	size_t n = 0, dl, i;
	struct dirent *de;
	DIR *d;

	dl = slash ? (size_t)(slash - model) : 1;
	if (dl >= sizeof dir)
		dl = 0;
	memcpy(dir, slash ? model : ".", dl);
	dir[dl] = '\0';
	if (slash && dl == 0)
		strcpy(dir, "/");
	d = opendir(dir);
	while (d && n < 64 && (de = readdir(d)) != NULL) {
		size_t l = strlen(de->d_name);
		if (l > 6 && strcmp(de->d_name + l - 6, ".keras") == 0 && (names[n] = strdup(de->d_name)))
			n++;
	}
	if (d)
		closedir(d);
	names[n] = NULL;
	near = n ? kx_typo_nearest(base, (const char *const *)names) : NULL;
	if (near && strcmp(near, base) != 0)
		kx_msg("Checkpoint not found: %s; did you mean '%.*s%s'?", model, (int)(base - model), model, near);
	else
		kx_msg("Checkpoint not found: %s", model);
	for (i = 0; i < n; i++)
		free(names[i]);
}

static int
startup(struct server *s, const struct serve_opts *o)
{
	const char *model = o->model;
	struct kx_err e;
	struct kx_model *m;

	if (model == NULL) {
		model = getenv("KANX_CHECKPOINT");
		if (model && !*model)
			model = NULL;
	}
	s->config = o->config;
	if (s->config == NULL) {
		s->config = getenv("KANX_CONFIG");
		if (s->config && !*s->config)
			s->config = NULL;
	}
	if (model && kx_path_is_stdin(model)) {
		kx_msg("serve-stdin: the requests come on %s, so the model cannot (-m -)", KX_STDIN_NAME);
		return KX_EXIT_USAGE;
	}
	if (o->model_dir) {
		struct stat st;
		s->model_dir = realpath(o->model_dir, NULL);
		if (s->model_dir == NULL || stat(s->model_dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
			kx_msg("serve-stdin: --model-dir %s: %s", o->model_dir,
			       s->model_dir ? "not a directory" : strerror(errno));
			return KX_EXIT_USAGE;
		}
	}
	s->source = dupf("", "uninitialized");
	if (s->source == NULL)
		return KX_EXIT_INTERNAL;
	kx_err_clear(&e);
	/* A model named with -m must load: a typo is an error at start-up,
	 * not a server that answers 503. Like the API, $KANX_CHECKPOINT names
	 * the checkpoint if it exists, else a fresh model is built. */
	if (o->model && access(model, F_OK) != 0) {
		missing_model(model);
		return KX_EXIT_NOMODEL;
	}
	if (model && access(model, F_OK) == 0) {
		m = kx_model_load(model, &s->lim, &e);
		if (m == NULL) {
			kx_err_print(&e);
			return e.code ? e.code : KX_EXIT_BADMODEL;
		}
		{
			char note[600];
			if (kx_dtype_note(m, note, sizeof note))
				fprintf(stderr, "kanx: warning: %s\n", note);
		}
		if (install(s, m, "checkpoint:", model) != 0)
			return KX_EXIT_INTERNAL;
		if (s->config) {
			/* Not needed until a reset, but say now if it is broken. */
			struct kx_kancfg *cfg = kx_kancfg_load(s->config, &s->lim, warn_cb, NULL, &e);
			if (cfg == NULL)
				kx_warn("serve-stdin: reset will fail: %s", e.msg);
			kx_kancfg_free(cfg);
		}
		return 0;
	}
	if (model)
		kx_warn("serve-stdin: checkpoint not found: %s%s", model,
		        s->config ? "; starting a fresh model from the config" : "");
	if (s->config) {
		struct kx_kancfg *cfg = kx_kancfg_load(s->config, &s->lim, warn_cb, NULL, &e);
		if (cfg == NULL) {
			kx_err_print(&e);
			return e.code ? e.code : KX_EXIT_BADMODEL;
		}
		m = kx_model_fresh(cfg->layers, cfg->n_layers, cfg->grid_size, cfg->spline_order, cfg->act,
		                   (float)cfg->grid_range[0], (float)cfg->grid_range[1], (uint64_t)cfg->seed, &e);
		kx_kancfg_free(cfg);
		if (m == NULL) {
			kx_err_print(&e);
			return e.code ? e.code : KX_EXIT_BADMODEL;
		}
		if (install(s, m, "fresh:", s->config) != 0)
			return KX_EXIT_INTERNAL;
		return 0;
	}
	kx_warn("serve-stdin: no checkpoint and no config: predict answers 503 until a load");
	return 0;
}

static void
server_free(struct server *s)
{
	kx_model_free(s->m);
	kx_work_free(s->work);
	free(s->y);
	free(s->y64);
	free(s->cols64);
	free(s->source);
	free(s->model_dir);
	free(s->out.p);
	kx_req_free(&s->req);
}

static int
exec_serve(int argc, char **argv)
{
	struct serve_opts o = { 0 };
	struct server *s;
	struct lines *l;
	const char *msg;
	int first, rc = KX_EXIT_OK, got;

	first = kx_cli_parse(&kx_cmd_serve, argc, argv, set_opt, &o, &rc);
	if (first < 0)
		return rc;
	if (first < argc) {
		kx_msg("serve-stdin: unexpected argument '%s'", argv[first]);
		fprintf(stderr, "Try 'kanx serve-stdin --help'.\n");
		return KX_EXIT_USAGE;
	}
	s = calloc(1, sizeof *s);
	l = calloc(1, sizeof *l);
	if (s == NULL || l == NULL) {
		free(s);
		free(l);
		kx_msg("serve-stdin: out of memory");
		return KX_EXIT_INTERNAL;
	}
	if (kx_limits_init(&s->lim, &msg) != 0) {
		kx_msg("%s", msg);
		rc = KX_EXIT_USAGE;
		goto out;
	}
	if (o.max_batch)
		s->lim.max_batch = o.max_batch;
	if (o.max_line)
		s->lim.line_bytes = o.max_line;
	s->no_admin = o.no_admin;
	kx_req_init(&s->req);
	rc = startup(s, &o);
	if (rc != 0)
		goto out;
	s->started = kx_clock_ms();
	l->fd = STDIN_FILENO;
	{
		struct stat st;
		l->wait = fstat(l->fd, &st) != 0 || !S_ISREG(st.st_mode);
	}
	while ((got = next_line(l, s->lim.line_bytes)) > 0 && got != 3) {
		if (got == 2) {
			s->req.id = NULL;
			count(s, OP_INVALID, error_reply(s, 413, "Request line longer than %zu bytes",
			                                 s->lim.line_bytes));
		} else {
			handle(s, l->buf, l->len);
		}
		if (write_reply(s) != 0) {
			rc = KX_EXIT_IO;  /* main reports it */
			goto out;
		}
		shrink(s, l);
	}
	if (got < 0) {
		kx_msg("serve-stdin: %s: read error: %s", KX_STDIN_NAME, strerror(errno));
		rc = KX_EXIT_IO;
	}
out:
	server_free(s);
	free(l->buf);
	free(s);
	free(l);
	return rc;
}

const struct kx_cmd kx_cmd_serve = {
	"serve-stdin", "answer kanx REST API requests as JSON lines on stdin/stdout (a co-process)",
	opts, "[-m MODEL] [--config FILE] [--no-admin] [--model-dir DIR] [--max-batch N] [--max-line BYTES]",
	exec_serve
};
