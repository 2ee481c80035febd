/* model.c - load a .keras checkpoint, run it, free it. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "kxzip.h"
#include "ref64.h"
#include "check.h"
#include "dtype.h"
#include "err.h"
#include "kernel.h"
#include "layer.h"
#include "model.h"
#include "spec.h"
#include "weights.h"

/* How the forward pass runs the layers: runs of layers the model's
 * kernel prepared, each one kx_kernel_forward (the panel kernels keep a
 * whole run in registers and L1, panel by panel), and runs of layers only
 * their reference forward computes. A run is layers a chain inside the
 * model: each after the first reads only the node before it, and no other
 * layer and no output reads the nodes inside it. A chain model is one
 * such chain cut where the kind of run changes, its rows passed between
 * two buffers; a graph keeps the node each run ends in for the runs that
 * read it (off[]: where, in floats a row, in a buffer that reuses the
 * place of a node once its last reader has run). */
struct kx_run {
	size_t first, n;                 /* layers[first .. first+n) */
	const struct kx_prep **chain;    /* their preps, or NULL: reference forwards */
};

struct kx_plan {
	int is_chain;                    /* every layer reads the node before it */
	size_t n_runs;
	struct kx_run *runs;
	const struct kx_prep **preps;    /* every run's chain, one array */
	size_t *off;                     /* a graph: node k's place (n_layers + 1 nodes) */
	size_t node_floats;              /* a graph: the nodes' buffer, floats a row */
};

struct kx_work {
	size_t max_rows;
	float *kwork;      /* the kernel's work area (64-byte aligned) */
	float *buf[4];     /* rows between runs and between reference layers */
	float *nodes;      /* a graph: the nodes runs end in (plan's off) */
	double *node64;    /* a model with a float64 layer: every node in double, and */
	float *node32;     /* in float, rows64 rows each (ref64.c), instead of the rest */
	size_t rows64;
};

static void
plan_free(struct kx_plan *p)
{
	if (!p)
		return;
	free(p->runs);
	free(p->preps);
	free(p->off);
	free(p);
}

static void
layer_free(struct kx_layer *l)
{
	free(l->name);
	free(l->class_name);
	free(l->h5_group);
	free(l->base_w);
	free(l->spline_w);
	free(l->grid);
	free(l->kernel);
	free(l->bias);
	free(l->inputs);
	free(l->in_decl);
	kx_prep_free(l->prep);
	for (size_t j = 0; j < sizeof l->w64 / sizeof l->w64[0]; j++)
		free(l->w64[j]);
	if (l->ops && l->ops->free)
		l->ops->free(l);
}

int
kx_layer_prepare(const struct kx_model *m, struct kx_layer *l)
{
	struct kx_kop op;

	kx_prep_free(l->prep);
	l->prep = NULL;
	if (l->ops->prepare && l->ops->prepare(l) != 0)
		return -1;
	if (kx_layer_kop(l, &op) == 0 &&
	    !(l->prep = kx_kernel_prepare((enum kx_kernel)m->kernel, &op)))
		return -1;
	/* the plan's run holds the layer's prep (the runs stay: a row's kop
	 * hook answers the same for the same layer) */
	if (m->plan && l >= m->layers && l < m->layers + m->n_layers)
		m->plan->preps[l - m->layers] = l->prep;
	return 0;
}

/* The model's outputs: how many, and the node of output i (no output
 * list, kx_model_fresh: the last node). */
static size_t
n_outs(const struct kx_model *m)
{
	return m->outputs ? m->n_outputs : 1;
}

static size_t
out_node(const struct kx_model *m, size_t i)
{
	return m->outputs ? m->outputs[i] : m->n_layers;
}

/* A node's place in a graph's buffer, floats a row: [at, end). */
struct place {
	size_t at, end;
};

static int
place_cmp(const void *a, const void *b)
{
	const struct place *x = a, *y = b;
	return x->at < y->at ? -1 : x->at > y->at;
}

/* Where a graph keeps the nodes its runs end in: node k from the run
 * that writes it until the last run that reads it has run (an output: to
 * the end), at the lowest place free for its width among the nodes alive
 * then (first fit). 0, or -1 on overflow or out of memory. */
static int
plan_places(const struct kx_model *m, struct kx_plan *p)
{
	size_t nn = m->n_layers + 1, *last, i, j, r, total = 0;
	struct place *alive = NULL;
	int rc = -1;

	if (!(p->off = kx_calloc(nn, sizeof *p->off)) || !(last = kx_calloc(nn, sizeof *last)))
		return -1;
	if (!(alive = kx_calloc(p->n_runs + 1, sizeof *alive)))
		goto out;
	/* last[k]: 1 + the last run that reads node k */
	for (r = 0; r < p->n_runs; r++) {
		const struct kx_layer *l = &m->layers[p->runs[r].first];
		for (j = 0; j < l->n_inputs; j++)
			last[l->inputs[j]] = r + 1;
	}
	for (i = 0; i < n_outs(m); i++)
		last[out_node(m, i)] = SIZE_MAX;
	for (r = 0; r < p->n_runs; r++) {
		size_t k = p->runs[r].first + p->runs[r].n, w = m->layers[k - 1].out, at = 0, na = 0;
		/* the nodes earlier runs wrote that run r or a later one reads */
		for (i = 0; i < r; i++) {
			size_t q = p->runs[i].first + p->runs[i].n;
			if (last[q] > r) {
				alive[na].at = p->off[q];
				alive[na++].end = p->off[q] + m->layers[q - 1].out;
			}
		}
		qsort(alive, na, sizeof *alive, place_cmp);
		for (i = 0; i < na && alive[i].at < at + w; i++)
			if (alive[i].end > at)
				at = alive[i].end;
		p->off[k] = at;
		if (kx_add(at, w, &at) != 0)
			goto out;
		if (at > total)
			total = at;
	}
	p->node_floats = total;
	rc = 0;
out:
	free(alive);
	free(last);
	return rc;
}

/* The runs: consecutive layers with a prep, and those without, each a
 * chain inside the model (struct kx_plan); for a graph, their nodes'
 * places. */
static struct kx_plan *
plan_new(const struct kx_model *m)
{
	struct kx_plan *p = calloc(1, sizeof *p);
	size_t i, j, *readers = NULL;

	if (!p || !(p->runs = kx_calloc(m->n_layers, sizeof *p->runs)) ||
	    !(p->preps = kx_calloc(m->n_layers, sizeof *p->preps)) ||
	    !(readers = kx_calloc(m->n_layers + 1, sizeof *readers)))
		goto fail;
	p->is_chain = !m->dag;
	for (i = 0; i < m->n_layers; i++)
		if (m->layers[i].n_inputs != 1 || m->layers[i].inputs[0] != i)
			p->is_chain = 0;
	/* how many layers and outputs read each node */
	for (i = 0; i < m->n_layers; i++)
		for (j = 0; j < m->layers[i].n_inputs; j++)
			readers[m->layers[i].inputs[j]]++;
	for (i = 0; i < n_outs(m); i++)
		readers[out_node(m, i)]++;
	for (i = 0; i < m->n_layers; i++) {
		const struct kx_layer *l = &m->layers[i];
		struct kx_run *r = p->n_runs ? &p->runs[p->n_runs - 1] : NULL;
		int fast = l->prep != NULL;
		/* l goes on r when it reads only r's last node, which nothing else reads */
		int joins = r && (r->chain != NULL) == fast && l->n_inputs == 1 && l->inputs[0] == i &&
		            readers[i] == 1 && (fast || m->layers[r->first].n_inputs == 1);
		if (!joins) {
			r = &p->runs[p->n_runs++];
			r->first = i;
			r->chain = fast ? p->preps + i : NULL;
		}
		p->preps[i] = l->prep;
		r->n++;
	}
	free(readers);
	readers = NULL;
	if (!p->is_chain && plan_places(m, p) != 0)
		goto fail;
	return p;
fail:
	free(readers);
	plan_free(p);
	return NULL;
}

void
kx_model_free(struct kx_model *m)
{
	size_t i;

	if (!m)
		return;
	for (i = 0; i < m->n_layers; i++)
		layer_free(&m->layers[i]);
	free(m->layers);
	free(m->path);
	free(m->keras_version);
	free(m->date_saved);
	free(m->class_name);
	free(m->registered_name);
	free(m->name);
	free(m->cfg_base_activation);
	plan_free(m->plan);
	for (i = 0; m->output_names && i < m->n_outputs; i++)
		free(m->output_names[i]);
	free(m->output_names);
	free(m->outputs);
	kx_train_free(&m->train);
	free(m);
}

/* Extended grids, packed weights, widths. */
static int
finish(struct kx_model *m, size_t max_work, struct kx_err *e)
{
	size_t i;

	m->max_width = m->in;
	m->kernel = kx_kernel_current();
	/* a layer that computes in float64, or a float64 input (read and
	 * kept in double): the model runs on the double precision reference
	 * path (ref64.c); otherwise the kernel runs the layers it can, chain
	 * by chain inside the model (plan_new), and the rest run by their
	 * reference forwards between */
	m->f64 = kx_dtype_is64(m->in_dtype);
	for (i = 0; i < m->n_layers; i++)
		if (kx_dtype_is64(m->layers[i].dtype))
			m->f64 = 1;
	if (m->f64 && kx_kernel_is_panel(m->kernel))
		m->kernel = KX_KERNEL_BLIS;
	for (i = 0; i < m->n_layers; i++) {
		struct kx_layer *l = &m->layers[i];
		l->node_off = i ? l[-1].node_off + l[-1].out : 0;
		if (l->out > m->max_width)
			m->max_width = l->out;
		if (kx_layer_prepare(m, l) != 0)
			return kx_err_set(e, KX_EXIT_INTERNAL, "%s: out of memory", m->path);
	}
	if (!(m->plan = plan_new(m)))
		return kx_err_set(e, KX_EXIT_INTERNAL, "%s: out of memory", m->path);
	/* the forward pass's scratch for 16 rows grows with in * (1 + G + k):
	 * held to the limit on the weights, so no layout of a model within
	 * that limit makes it allocate without bound */
	if (kx_kernel_is_panel(m->kernel)) {
		for (i = 0; i < m->plan->n_runs; i++) {
			const struct kx_run *r = &m->plan->runs[i];
			size_t work;
			if (!r->chain)
				continue;
			work = kx_kernel_work_floats(m->kernel, r->chain, r->n, m->layers[r->first].in, 1);
			if (work == 0 || work > max_work / sizeof(float))
				return kx_err_set(e, KX_EXIT_BADMODEL, "%s: the layers need more working memory "
				                  "(%zu floats a 16-row panel) than the limit of %zu bytes", m->path,
				                  work, max_work);
		}
	}
	return 0;
}

/* The gate's errors, joined into e (its warnings are validate's to show). */
static void
gate_problem(void *ctx, enum kx_problem_sev sev, const char *msg)
{
	if (sev == KX_PROBLEM_ERROR)
		kx_err_add(ctx, KX_EXIT_BADMODEL, "%s", msg);
}

int
kx_model_gate(const struct kx_model *m, struct kx_err *e)
{
	return kx_model_check(m, gate_problem, e) > 0 ? -1 : 0;
}

/* How a model is loaded: through the gate, without it (validate), or
 * described where kanx cannot run it (inspect). */
enum load_mode { LOAD_GATE, LOAD_UNCHECKED, LOAD_DESCRIBE };

static struct kx_model *
model_new(const struct kx_archive *a, struct kx_err *e)
{
	struct kx_model *m = calloc(1, sizeof *m);

	if (!m || !(m->path = strdup(a->path))) {
		free(m);
		kx_err_set(e, KX_EXIT_INTERNAL, "%s: out of memory", a->path);
		return NULL;
	}
	m->file_size = a->file_size;
	memcpy(m->sha256, a->sha256, sizeof m->sha256);
	return m;
}

/* A model whose config.json was refused, described if the only problems
 * were layers of classes kanx does not know: the model with a placeholder
 * for each, when everything else in the archive reads. NULL when anything
 * else fails. The refusal stands (the caller's error: validate's words). */
static struct kx_model *
describe_archive(const struct kx_archive *a, const struct kx_limits *lim)
{
	const struct kx_member *meta = kx_archive_find(a, "metadata.json");
	const struct kx_member *cfg = kx_archive_find(a, "config.json");
	const struct kx_member *w = kx_archive_find(a, "model.weights.h5");
	struct kx_err scratch;
	struct kx_model *m;
	char label[600];
	size_t i;

	kx_err_clear(&scratch);
	if (!cfg || !w || !(m = model_new(a, &scratch)))
		return NULL;
	snprintf(label, sizeof label, "%s:metadata.json", a->path);
	if (meta && kx_spec_metadata(m, label, (const char *)meta->data, meta->size, lim, &scratch) != 0)
		goto fail;
	snprintf(label, sizeof label, "%s:config.json", a->path);
	if (kx_spec_parse_describe(m, label, (const char *)cfg->data, cfg->size, lim, &scratch) != 0 ||
	    m->n_unsupported == 0)
		goto fail;
	snprintf(label, sizeof label, "%s:model.weights.h5", a->path);
	if (kx_weights_load(m, label, w->data, w->size, lim, &scratch) != 0)
		goto fail;
	/* what inspect shows of the layers read (a KAN's knots); nothing is
	 * prepared for a kernel: nothing runs */
	for (i = 0; i < m->n_layers; i++)
		if (!m->layers[i].shapes_only && m->layers[i].ops->prepare &&
		    m->layers[i].ops->prepare(&m->layers[i]) != 0)
			goto fail;
	return m;
fail:
	kx_model_free(m);
	return NULL;
}

static struct kx_model *
load_archive(struct kx_archive *a, const struct kx_limits *lim, enum load_mode mode,
             struct kx_err *e)
{
	const struct kx_member *meta, *cfg, *w;
	struct kx_model *m;
	char label[600];

	if (!(m = model_new(a, e)))
		return NULL;
	cfg = kx_archive_find(a, "config.json");
	w = kx_archive_find(a, "model.weights.h5");
	meta = kx_archive_find(a, "metadata.json");
	if (!cfg || !w) {
		kx_err_set(e, KX_EXIT_BADMODEL, "%s: not a Keras 3 .keras archive (missing %s)", a->path,
		           !cfg ? "config.json" : "model.weights.h5");
		goto fail;
	}
	if (meta) {
		snprintf(label, sizeof label, "%s:metadata.json", a->path);
		if (kx_spec_metadata(m, label, (const char *)meta->data, meta->size, lim, e) != 0)
			goto fail;
	}
	snprintf(label, sizeof label, "%s:config.json", a->path);
	if (kx_spec_parse(m, label, (const char *)cfg->data, cfg->size, lim, e) != 0) {
		if (mode == LOAD_DESCRIBE && e->code == KX_EXIT_BADMODEL) {
			kx_model_free(m);
			return describe_archive(a, lim);  /* e: the refusal */
		}
		goto fail;
	}
	snprintf(label, sizeof label, "%s:model.weights.h5", a->path);
	if (kx_weights_load(m, label, w->data, w->size, lim, e) != 0)
		goto fail;
	if (finish(m, lim->weight_bytes, e) != 0)
		goto fail;
	if (mode == LOAD_GATE && kx_model_gate(m, e) != 0)
		goto fail;
	return m;
fail:
	if (e->code == 0)
		e->code = KX_EXIT_BADMODEL;
	kx_model_free(m);
	return NULL;
}

static struct kx_model *
load_path(const char *path, const struct kx_limits *lim, enum load_mode mode, struct kx_err *e)
{
	struct kx_archive *a;
	struct kx_model *m;

	kx_err_clear(e);
	a = kx_archive_read(path, lim, e);
	if (!a)
		return NULL;
	m = load_archive(a, lim, mode, e);
	kx_archive_free(a);
	return m;
}

struct kx_model *
kx_model_load(const char *path, const struct kx_limits *lim, struct kx_err *e)
{
	return load_path(path, lim, LOAD_GATE, e);
}

struct kx_model *
kx_model_load_unchecked(const char *path, const struct kx_limits *lim, struct kx_err *e)
{
	return load_path(path, lim, LOAD_UNCHECKED, e);
}

struct kx_model *
kx_model_load_describe(const char *path, const struct kx_limits *lim, struct kx_err *e)
{
	return load_path(path, lim, LOAD_DESCRIBE, e);
}

struct kx_model *
kx_model_load_mem(const char *name, const void *buf, size_t len, const struct kx_limits *lim,
                  struct kx_err *e)
{
	struct kx_archive *a;
	struct kx_model *m;

	kx_err_clear(e);
	a = kx_archive_read_mem(name, buf, len, lim, e);
	if (!a)
		return NULL;
	m = load_archive(a, lim, LOAD_GATE, e);
	kx_archive_free(a);
	return m;
}

void
kx_layer_param_counts(const struct kx_layer *l, struct kx_params *p)
{
	struct kx_tensor t[KX_MAX_TENSORS];
	size_t nt, i, n;
	int d;

	if (l->shapes_only) {
		/* what the file holds; which of it Keras trains, only a frozen
		 * layer says */
		p->total = l->file_params;
		p->trainable = l->frozen ? 0 : KX_PARAMS_UNKNOWN;
		p->non_trainable = l->frozen ? l->file_params : KX_PARAMS_UNKNOWN;
		return;
	}
	nt = l->ops->tensors ? l->ops->tensors(l, t) : 0;
	for (i = 0, p->total = 0; i < nt; i++) {
		for (n = 1, d = 0; d < t[i].rank; d++)
			n *= t[i].dims[d];     /* bounded by the weight limit (spec.c) */
		p->total += n;
	}
	if (l->ops->loaded_params)
		p->total += l->ops->loaded_params(l);
	p->trainable = l->frozen || !l->ops->params ? 0 : l->ops->params(l);
	p->non_trainable = p->total > p->trainable ? p->total - p->trainable : 0;
}

void
kx_model_param_counts(const struct kx_model *m, struct kx_params *p)
{
	struct kx_params lp;
	size_t i;

	memset(p, 0, sizeof *p);
	for (i = 0; i < m->n_layers; i++) {
		kx_layer_param_counts(&m->layers[i], &lp);
		p->total += lp.total;
		p->trainable += lp.trainable != KX_PARAMS_UNKNOWN ? lp.trainable : 0;
		p->non_trainable += lp.non_trainable != KX_PARAMS_UNKNOWN ? lp.non_trainable : 0;
	}
}

size_t
kx_layer_params(const struct kx_layer *l)
{
	struct kx_params p;

	kx_layer_param_counts(l, &p);
	return p.trainable != KX_PARAMS_UNKNOWN ? p.trainable : 0;
}

size_t
kx_model_params(const struct kx_model *m)
{
	struct kx_params p;

	kx_model_param_counts(m, &p);
	return p.trainable;
}

/* A graph's node buffers for n rows: the floats of every layer's output
 * (node 0 is the caller's x), or 0 on overflow. */
static size_t
dag_floats(const struct kx_model *m, size_t n)
{
	size_t i, s = 0;

	for (i = 0; i < m->n_layers; i++)
		if (kx_add(s, m->layers[i].out, &s) != 0)
			return 0;
	return kx_mul(s, n ? n : 1, &s) == 0 ? s : 0;
}

struct kx_work *
kx_work_new(const struct kx_model *m, size_t max_rows)
{
	const struct kx_plan *p = m->plan;
	struct kx_work *w = calloc(1, sizeof *w);
	size_t i, s, kw = 0, nb = 0;

	if (!w)
		return NULL;
	if (max_rows == 0)
		max_rows = 1;
	w->max_rows = max_rows;
	if (m->f64) {
		if (kx_forward64_alloc(m, max_rows, &w->node64, &w->node32, &w->rows64) != 0)
			goto fail;
		return w;
	}
	if (!p->is_chain) {
		/* the nodes runs end in (node 0 is the caller's x) */
		if (kx_mul(p->node_floats ? p->node_floats : 1, max_rows, &s) != 0 ||
		    !(w->nodes = kx_mallocarray(s, sizeof(float))))
			goto fail;
	}
	for (i = 0; i < p->n_runs; i++) {
		const struct kx_run *r = &p->runs[i];
		if (r->chain) {
			s = kx_kernel_work_floats(m->kernel, r->chain, r->n, m->layers[r->first].in, max_rows);
			if (s == 0)
				goto fail;
			if (s > kw)
				kw = s;
		}
		/* a chain's runs: two buffers between them; inside a reference
		 * run: two more */
		if (p->is_chain && i + 1 < p->n_runs && nb < 2)
			nb = 2;
		if (!r->chain && r->n > 1)
			nb = 4;
	}
	if (kw && (kw > SIZE_MAX / sizeof(float) - 64 ||
	           posix_memalign((void **)&w->kwork, 64, kw * sizeof(float)) != 0)) {
		w->kwork = NULL;
		goto fail;
	}
	if (kx_mul(max_rows, m->max_width, &s) != 0)
		goto fail;
	for (i = 0; i < nb; i++)
		if (!(w->buf[i] = kx_mallocarray(s, sizeof(float))))
			goto fail;
	return w;
fail:
	kx_work_free(w);
	return NULL;
}

void
kx_work_free(struct kx_work *w)
{
	size_t i;

	if (!w)
		return;
	free(w->kwork);
	for (i = 0; i < 4; i++)
		free(w->buf[i]);
	free(w->nodes);
	free(w->node64);
	free(w->node32);
	free(w);
}

/* Layers first .. first+n-1 of a chain by their reference forwards, from
 * x into y, through the buffers b[0], b[1]. */
static void
forward_ref_run(const struct kx_model *m, size_t first, size_t n, float *const *b,
                const float *x, size_t rows, float *y)
{
	const float *cur = x;
	size_t i;

	for (i = 0; i < n; i++) {
		const struct kx_layer *l = &m->layers[first + i];
		float *dst = i + 1 == n ? y : b[i % 2];
		l->ops->forward(l, &cur, rows, dst);
		cur = dst;
	}
}

/* Output i's n rows from src into y's columns from c on; the column after. */
static size_t
put_output(const struct kx_model *m, size_t i, const float *src, size_t n, float *y, size_t c)
{
	size_t r, w = kx_model_output_width(m, i);

	for (r = 0; r < n; r++)
		memcpy(y + r * m->out + c, src + r * w, w * sizeof *y);
	return c + w;
}

/* A graph on n rows, each layer by its reference forward: each layer's
 * output into its node's rows of nodes (dag_floats), read by the layers
 * after it; then the model's outputs side by side into y. */
static void
forward_nodes(const struct kx_model *m, float *nodes, const float *x, size_t n, float *y)
{
	const float *in[KX_MAX_INPUTS];
	size_t i, j, c;

#define NODE(k) ((k) ? nodes + n * m->layers[(k) - 1].node_off : x)
	for (i = 0; i < m->n_layers; i++) {
		const struct kx_layer *l = &m->layers[i];
		for (j = 0; j < l->n_inputs && j < KX_MAX_INPUTS; j++)
			in[j] = NODE(l->inputs[j]);
		l->ops->forward(l, in, n, nodes + n * l->node_off);
	}
	for (i = 0, c = 0; i < n_outs(m); i++)
		c = put_output(m, i, NODE(out_node(m, i)), n, y, c);
#undef NODE
}

/* A graph on n rows, run by run (struct kx_plan): each run reads its
 * first layer's nodes and writes the node it ends in at its place in
 * w->nodes; then the model's outputs side by side into y. */
static void
forward_graph(const struct kx_model *m, struct kx_work *w, const float *x, size_t n, float *y)
{
	const struct kx_plan *p = m->plan;
	const float *in[KX_MAX_INPUTS];
	size_t i, j, c;

#define GNODE(k) ((k) ? w->nodes + n * p->off[k] : x)
	for (i = 0; i < p->n_runs; i++) {
		const struct kx_run *r = &p->runs[i];
		const struct kx_layer *l = &m->layers[r->first];
		float *dst = w->nodes + n * p->off[r->first + r->n];
		for (j = 0; j < l->n_inputs && j < KX_MAX_INPUTS; j++)
			in[j] = GNODE(l->inputs[j]);
		if (r->chain)
			kx_kernel_forward((enum kx_kernel)m->kernel, r->chain, r->n, w->kwork, in[0], n, dst);
		else if (r->n == 1)
			l->ops->forward(l, in, n, dst);
		else
			forward_ref_run(m, r->first, r->n, w->buf + 2, in[0], n, dst);
	}
	for (i = 0, c = 0; i < n_outs(m); i++)
		c = put_output(m, i, GNODE(out_node(m, i)), n, y, c);
#undef GNODE
}

int
kx_model_forward(const struct kx_model *m, struct kx_work *w, const float *x, size_t n, float *y)
{
	const struct kx_plan *p = m->plan;
	const float *cur = x;
	size_t i;

	if (n > w->max_rows)
		return -1;
	if (w->node64) {
		kx_forward64(m, w->node64, w->node32, w->rows64, x, NULL, n, y, NULL);
		return 0;
	}
	if (!p->is_chain) {
		forward_graph(m, w, x, n, y);
		return 0;
	}
	for (i = 0; i < p->n_runs; i++) {
		const struct kx_run *r = &p->runs[i];
		float *dst = i + 1 == p->n_runs ? y : w->buf[i % 2];
		if (r->chain)
			kx_kernel_forward((enum kx_kernel)m->kernel, r->chain, r->n, w->kwork, cur, n, dst);
		else
			forward_ref_run(m, r->first, r->n, w->buf + 2, cur, n, dst);
		cur = dst;
	}
	return 0;
}

int
kx_model_forward64(const struct kx_model *m, struct kx_work *w, const float *x, const double *x64,
                   size_t n, float *y, double *y64)
{
	if (n > w->max_rows)
		return -1;
	if (!w->node64)
		return x64 || y64 ? -1 : kx_model_forward(m, w, x, n, y);
	kx_forward64(m, w->node64, w->node32, w->rows64, x, x64, n, y, y64);
	return 0;
}

int
kx_model_in64(const struct kx_model *m)
{
	return kx_dtype_is64(m->in_dtype);
}

size_t
kx_model_out64(const struct kx_model *m, unsigned char *cols)
{
	size_t i, j, k, n64 = 0;

	for (i = 0, j = 0; i < (m->outputs ? m->n_outputs : 1); i++) {
		size_t o = m->outputs ? m->outputs[i] : m->n_layers, ow = kx_model_output_width(m, i);
		/* a layer's output is in its compute dtype; the input node in
		 * the InputLayer's */
		int is64 = kx_dtype_is64(o ? m->layers[o - 1].dtype : m->in_dtype);
		for (k = 0; k < ow && j < m->out; k++, j++) {
			if (cols)
				cols[j] = (unsigned char)is64;
			n64 += (size_t)is64;
		}
	}
	return n64;
}

int
kx_model_forward_ref(const struct kx_model *m, const float *x, size_t n, float *y)
{
	size_t s;
	float *nodes;

	if (m->f64) {
		struct kx_work *w = kx_work_new(m, n);
		if (!w)
			return -1;
		kx_model_forward(m, w, x, n, y);
		kx_work_free(w);
		return 0;
	}
	if ((s = dag_floats(m, n)) == 0 || !(nodes = kx_mallocarray(s, sizeof(float))))
		return -1;
	forward_nodes(m, nodes, x, n, y);
	free(nodes);
	return 0;
}

/* splitmix64, for fresh models */
static uint64_t
next_u64(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static double
uniform01(uint64_t *s)
{
	return (double)(next_u64(s) >> 11) * (1.0 / 9007199254740992.0);
}

struct kx_model *
kx_model_fresh(const size_t *widths, size_t n_widths, size_t G, size_t k, struct kx_act act,
               float lo, float hi, uint64_t seed, struct kx_err *e)
{
	struct kx_model *m;
	size_t i, j, n;

	if (n_widths < 2 || G < 1 || k > KX_MAX_ORDER || !(lo < hi)) {
		kx_err_set(e, KX_EXIT_BADMODEL, "fresh model: need >= 2 widths, G >= 1, 0 <= k <= %d, "
		           "low < high", KX_MAX_ORDER);
		return NULL;
	}
	if (seed == 0)
		seed = (uint64_t)time(NULL) ^ ((uint64_t)clock() << 32);
	m = calloc(1, sizeof *m);
	if (!m || !(m->layers = calloc(n_widths - 1, sizeof *m->layers)))
		goto nomem;
	m->path = strdup("(fresh)");
	m->class_name = strdup("KAN");
	m->registered_name = strdup("kanx>KAN");
	m->name = strdup("kan");
	m->cfg_base_activation = strdup(kx_act_name(act));
	m->cfg_grid_size = G;
	m->cfg_spline_order = k;
	m->cfg_grid_range[0] = lo;
	m->cfg_grid_range[1] = hi;
	m->in = widths[0];
	m->out = widths[n_widths - 1];
	for (i = 0; i + 1 < n_widths; i++) {
		struct kx_layer *l = &m->layers[i];
		char nm[32];
		double limit;
		m->n_layers++;
		l->ops = &kx_layer_kan;
		if (!(l->inputs = malloc(sizeof *l->inputs)))
			goto nomem;
		l->inputs[0] = i;
		l->n_inputs = 1;
		snprintf(nm, sizeof nm, i ? "kan_linear_%zu" : "kan_linear", i);
		l->name = strdup(nm);
		l->class_name = strdup("KANLinear");
		snprintf(nm, sizeof nm, i ? "layers/kan_linear_%zu" : "layers/kan_linear", i);
		l->h5_group = strdup(nm);
		l->in = widths[i];
		l->out = widths[i + 1];
		l->G = l->cfg_G = G;
		l->k = l->cfg_k = k;
		l->act = act;
		l->cfg_lo = lo;
		l->cfg_hi = hi;
		if (kx_mul(l->in, l->out, &n) != 0 || !(l->base_w = kx_mallocarray(n, sizeof(float))) ||
		    !(l->spline_w = kx_mallocarray(n, (G + k) * sizeof(float))) ||
		    !(l->grid = kx_mallocarray(l->in, (G + 1) * sizeof(float))))
			goto nomem;
		limit = sqrt(6.0 / (double)(l->in + l->out));
		for (j = 0; j < n; j++)
			l->base_w[j] = (float)((2.0 * uniform01(&seed) - 1.0) * limit);
		for (j = 0; j < n * (G + k); j++) {
			/* Box-Muller, normal(0, 0.1) */
			double u1 = uniform01(&seed), u2 = uniform01(&seed);
			if (u1 < 1e-300)
				u1 = 1e-300;
			l->spline_w[j] = (float)(0.1 * sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2));
		}
		for (j = 0; j < l->in * (G + 1); j++) {
			size_t g = j % (G + 1);
			l->grid[j] = lo + (hi - lo) * (float)g / (float)G;
		}
	}
	/* the gate, as for a checkpoint (a config's grid_range can be wide
	 * enough for the extended grid to overflow) */
	if (finish(m, SIZE_MAX, e) != 0 || kx_model_gate(m, e) != 0) {
		kx_model_free(m);
		return NULL;
	}
	return m;
nomem:
	kx_model_free(m);
	kx_err_set(e, KX_EXIT_INTERNAL, "fresh model: out of memory");
	return NULL;
}

size_t
kx_model_output_width(const struct kx_model *m, size_t i)
{
	size_t o = m->outputs ? m->outputs[i] : m->n_layers;
	return o ? m->layers[o - 1].out : m->in;
}

int
kx_model_column_names(const struct kx_model *m, char ***out)
{
	size_t i, j, c = 0, w, len;
	char **v;

	*out = NULL;
	if (m->n_outputs < 2)
		return 0;
	if (!(v = kx_calloc(m->out, sizeof *v)))
		return -1;
	for (i = 0; i < m->n_outputs; i++) {
		const char *name = m->output_names && m->output_names[i] ? m->output_names[i] : "y";
		w = kx_model_output_width(m, i);
		len = strlen(name) + 24;
		for (j = 0; j < w && c < m->out; j++, c++) {
			if (!(v[c] = malloc(len))) {
				kx_names_free(v, m->out);
				return -1;
			}
			if (w == 1)
				snprintf(v[c], len, "%s", name);
			else
				snprintf(v[c], len, "%s_%zu", name, j);
		}
	}
	*out = v;
	return 0;
}

void
kx_names_free(char **v, size_t n)
{
	size_t i;

	for (i = 0; v && i < n; i++)
		free(v[i]);
	free(v);
}
