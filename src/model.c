/* model.c - load a .keras checkpoint, run it, free it. */
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "kxzip.h"
#include "check.h"
#include "err.h"
#include "kernel.h"
#include "layer.h"
#include "model.h"
#include "spec.h"
#include "weights.h"

struct kx_work {
	size_t max_rows;
	float *buf[2];   /* ping-pong activations, max_rows * max_width each */
	float *a;        /* [act(x) | B(x)] for the widest KAN layer */
	float *panels;   /* AVX2 kernel: its work area (32-byte aligned), instead of buf and a */
	float *nodes;    /* a graph: every node's rows (dag_floats), instead of buf */
	size_t n_sub;    /* > 0: the batch is split over n_sub threads, each with its own work */
	struct kx_work **sub;
	struct kx_pool *pool;  /* n_sub - 1 workers that take chunks of a batch with the caller */
};

/* A pool of persistent workers. A forward pass cuts its batch into chunks;
 * the caller and the workers take chunks until none is left, each with its
 * own work area, so a thread the scheduler delays holds back one chunk,
 * not half the batch. */
struct kx_pool_arg {
	struct kx_pool *p;
	size_t id;               /* which work area: sub[id] */
};

struct kx_pool {
	pthread_mutex_t mu;
	pthread_cond_t go, done;
	pthread_t tid[KX_MAX_THREADS];
	struct kx_pool_arg arg[KX_MAX_THREADS];
	size_t n_workers;
	unsigned long gen;       /* bumped for each job */
	int quit;
	size_t active;           /* workers not yet done with this job */
	/* the job */
	const struct kx_model *m;
	struct kx_work **sub;
	const float *x;
	float *y;
	size_t n, chunk, next;
};

static struct kx_pool *pool_new(struct kx_work **sub, size_t workers);
static void pool_free(struct kx_pool *p);

/* The fewest rows worth handing to a thread: the smallest chunk of a
 * batch, and a work area for fewer than twice this gets no workers. */
#define KX_MIN_ROWS_PER_THREAD 32

/* What kx_layer_prepare derives from the weights */
static void
derived_free(struct kx_layer *l)
{
	free(l->ext);
	free(l->t0);
	free(l->inv_h);
	free(l->inv_hd);
	free(l->dmin);
	free(l->tmax);
	free(l->packed);
	free(l->tiled);
	free(l->sparse_w);
	l->ext = l->t0 = l->inv_h = l->dmin = l->tmax = l->packed = l->tiled = l->sparse_w = NULL;
	l->inv_hd = NULL;
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
	if (l->ops && l->ops->free)
		l->ops->free(l);
	derived_free(l);
}

int
kx_layer_prepare(const struct kx_model *m, struct kx_layer *l)
{
	derived_free(l);
	if (l->ops->prepare && l->ops->prepare(l) != 0)
		return -1;
	if (l->ops->fast == KX_FAST_KAN && kx_kan_pack(l) != 0)
		return -1;
	if (kx_kernel_is_panel(m->kernel)) {
		if (kx_panel_pack(l) != 0)
			return -1;
		/* the tiles replace the BLIS layout */
		free(l->packed);
		l->packed = NULL;
	}
	return 0;
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
	for (i = 0; m->output_names && i < m->n_outputs; i++)
		free(m->output_names[i]);
	free(m->output_names);
	free(m->outputs);
	free(m);
}

/* Extended grids, packed weights, widths. */
static int
finish(struct kx_model *m, size_t max_work, struct kx_err *e)
{
	size_t i;

	m->max_width = m->in;
	m->kernel = kx_kernel_current();
	/* a layer the panel kernels cannot run, or a graph (they run
	 * chains): this model runs on BLIS */
	for (i = 0; i < m->n_layers; i++)
		if ((m->layers[i].ops->fast == KX_FAST_NONE || m->dag) && kx_kernel_is_panel(m->kernel))
			m->kernel = KX_KERNEL_BLIS;
	for (i = 0; i < m->n_layers; i++) {
		struct kx_layer *l = &m->layers[i];
		l->node_off = i ? l[-1].node_off + l[-1].out : 0;
		if (l->out > m->max_width)
			m->max_width = l->out;
		if (kx_layer_prepare(m, l) != 0)
			return kx_err_set(e, KX_EXIT_INTERNAL, "%s: out of memory", m->path);
	}
	/* the forward pass's scratch for 16 rows grows with in * (1 + G + k):
	 * held to the limit on the weights, so no layout of a model within
	 * that limit makes it allocate without bound */
	if (kx_kernel_is_panel(m->kernel)) {
		size_t work = kx_panel_work_floats(m);
		if (work == 0 || work > max_work / sizeof(float))
			return kx_err_set(e, KX_EXIT_BADMODEL, "%s: the layers need more working memory "
			                  "(%zu floats a 16-row panel) than the limit of %zu bytes", m->path,
			                  work, max_work);
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

static struct kx_model *
load_archive(struct kx_archive *a, const struct kx_limits *lim, int gate, struct kx_err *e)
{
	const struct kx_member *meta, *cfg, *w;
	struct kx_model *m;
	char label[600];

	m = calloc(1, sizeof *m);
	if (!m || !(m->path = strdup(a->path))) {
		free(m);
		kx_err_set(e, KX_EXIT_INTERNAL, "%s: out of memory", a->path);
		return NULL;
	}
	m->file_size = a->file_size;
	memcpy(m->sha256, a->sha256, sizeof m->sha256);
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
	if (kx_spec_parse(m, label, (const char *)cfg->data, cfg->size, lim, e) != 0)
		goto fail;
	snprintf(label, sizeof label, "%s:model.weights.h5", a->path);
	if (kx_weights_load(m, label, w->data, w->size, lim, e) != 0)
		goto fail;
	if (finish(m, lim->weight_bytes, e) != 0)
		goto fail;
	if (gate && kx_model_gate(m, e) != 0)
		goto fail;
	return m;
fail:
	if (e->code == 0)
		e->code = KX_EXIT_BADMODEL;
	kx_model_free(m);
	return NULL;
}

static struct kx_model *
load_path(const char *path, const struct kx_limits *lim, int gate, struct kx_err *e)
{
	struct kx_archive *a;
	struct kx_model *m;

	kx_err_clear(e);
	a = kx_archive_read(path, lim, e);
	if (!a)
		return NULL;
	m = load_archive(a, lim, gate, e);
	kx_archive_free(a);
	return m;
}

struct kx_model *
kx_model_load(const char *path, const struct kx_limits *lim, struct kx_err *e)
{
	return load_path(path, lim, 1, e);
}

struct kx_model *
kx_model_load_unchecked(const char *path, const struct kx_limits *lim, struct kx_err *e)
{
	return load_path(path, lim, 0, e);
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
	m = load_archive(a, lim, 1, e);
	kx_archive_free(a);
	return m;
}

size_t
kx_layer_params(const struct kx_layer *l)
{
	return l->ops->params ? l->ops->params(l) : 0;
}

size_t
kx_model_params(const struct kx_model *m)
{
	size_t i, n = 0;

	for (i = 0; i < m->n_layers; i++)
		n += kx_layer_params(&m->layers[i]);
	return n;
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

static struct kx_work *
work_alloc(const struct kx_model *m, size_t max_rows)
{
	struct kx_work *w = calloc(1, sizeof *w);
	size_t amax = 0, i, s;

	if (!w)
		return NULL;
	w->max_rows = max_rows;
	if (kx_kernel_is_panel(m->kernel)) {
		/* a few panels, whatever the batch size */
		s = kx_panel_work_floats(m);
		if (s == 0 || s > SIZE_MAX / sizeof(float) - 64 ||
		    posix_memalign((void **)&w->panels, 64, s * sizeof(float)) != 0) {
			w->panels = NULL;
			kx_work_free(w);
			return NULL;
		}
		return w;
	}
	for (i = 0; i < m->n_layers; i++) {
		const struct kx_layer *l = &m->layers[i];
		if (l->ops->fast == KX_FAST_KAN && kx_mul(l->in, 1 + l->G + l->k, &s) == 0 && s > amax)
			amax = s;
	}
	if ((m->dag ? (s = dag_floats(m, max_rows)) == 0 || !(w->nodes = kx_mallocarray(s, sizeof(float))) :
	     (kx_mul(max_rows, m->max_width, &s) != 0 ||
	      !(w->buf[0] = kx_mallocarray(s, sizeof(float))) ||
	      !(w->buf[1] = kx_mallocarray(s, sizeof(float))))) ||
	    kx_mul(max_rows, amax ? amax : 1, &s) != 0 ||
	    !(w->a = kx_mallocarray(s, sizeof(float)))) {
		kx_work_free(w);
		return NULL;
	}
	return w;
}

struct kx_work *
kx_work_new(const struct kx_model *m, size_t max_rows)
{
	int threads = kx_kernel_get_threads();
	struct kx_work *w;
	size_t t, per;

	if (max_rows == 0)
		max_rows = 1;
	if (threads <= 1 || max_rows < 2 * KX_MIN_ROWS_PER_THREAD)
		return work_alloc(m, max_rows);
	w = calloc(1, sizeof *w);
	if (!w || !(w->sub = calloc((size_t)threads, sizeof *w->sub))) {
		free(w);
		return NULL;
	}
	w->max_rows = max_rows;
	w->n_sub = (size_t)threads;
	per = (max_rows + (size_t)threads - 1) / (size_t)threads;
	for (t = 0; t < w->n_sub; t++)
		if (!(w->sub[t] = work_alloc(m, per))) {
			kx_work_free(w);
			return NULL;
		}
	w->pool = pool_new(w->sub, w->n_sub - 1);
	return w;
}

void
kx_work_free(struct kx_work *w)
{
	size_t t;

	if (!w)
		return;
	pool_free(w->pool);
	for (t = 0; t < w->n_sub; t++)
		kx_work_free(w->sub[t]);
	free(w->sub);
	free(w->buf[0]);
	free(w->buf[1]);
	free(w->a);
	free(w->panels);
	free(w->nodes);
	free(w);
}

/* One layer on its inputs: the reference forward of its row of the layer
 * table, or (ref = 0) the BLIS kernel where it has one for the layer. */
static void
run_layer(const struct kx_layer *l, const float *const *x, size_t n, float *y, float *a, int ref)
{
	if (!ref && l->ops->fast == KX_FAST_KAN)
		kx_kan_forward_fast(l, x[0], n, y, a);
	else if (!ref && l->ops->fast == KX_FAST_MATMUL)
		kx_dense_forward(l, x[0], n, y, 0);
	else
		l->ops->forward(l, x, n, y);
}

/* A graph on n rows: each layer's output into its node's rows of nodes
 * (dag_floats), read by the layers after it; then the outputs side by
 * side into y. */
static void
forward_dag(const struct kx_model *m, float *nodes, float *a, const float *x, size_t n, float *y,
            int ref)
{
	const float *in[KX_MAX_INPUTS];
	size_t i, j, r, c;

#define NODE(k) ((k) ? nodes + n * m->layers[(k) - 1].node_off : x)
	for (i = 0; i < m->n_layers; i++) {
		const struct kx_layer *l = &m->layers[i];
		for (j = 0; j < l->n_inputs && j < KX_MAX_INPUTS; j++)
			in[j] = NODE(l->inputs[j]);
		run_layer(l, in, n, nodes + n * l->node_off, a, ref);
	}
	for (i = 0, c = 0; i < m->n_outputs; i++) {
		size_t o = m->outputs[i], ow = o ? m->layers[o - 1].out : m->in;
		const float *src = NODE(o);
		for (r = 0; r < n; r++)
			memcpy(y + r * m->out + c, src + r * ow, ow * sizeof *y);
		c += ow;
	}
#undef NODE
}

static void
forward_one(const struct kx_model *m, struct kx_work *w, const float *x, size_t n, float *y)
{
	const float *cur = x;
	size_t i;

	if (w->nodes) {
		forward_dag(m, w->nodes, w->a, x, n, y, 0);
		return;
	}
	if (w->panels) {
		if (m->kernel == KX_KERNEL_AVX2)
			kx_avx2_forward(m, w->panels, x, n, y);
		else
			kx_portable_forward(m, w->panels, x, n, y);
		return;
	}
	for (i = 0; i < m->n_layers; i++) {
		float *dst = (i + 1 == m->n_layers) ? y : w->buf[i % 2];
		run_layer(&m->layers[i], &cur, n, dst, w->a, 0);
		cur = dst;
	}
}

/* Take the next chunk of the job (with p->mu held): its first row, or
 * (size_t)-1 when none is left. */
static size_t
pool_take(struct kx_pool *p)
{
	size_t c;

	if (p->next >= p->n)
		return (size_t)-1;
	c = p->next;
	p->next += p->chunk;
	return c;
}

/* Run chunks of the job on work area `id` until none is left; p->mu is
 * held on entry and on return. */
static void
pool_run(struct kx_pool *p, size_t id)
{
	size_t c, cnt;

	while ((c = pool_take(p)) != (size_t)-1) {
		cnt = p->n - c < p->chunk ? p->n - c : p->chunk;
		pthread_mutex_unlock(&p->mu);
		forward_one(p->m, p->sub[id], p->x + c * p->m->in, cnt, p->y + c * p->m->out);
		pthread_mutex_lock(&p->mu);
	}
}

static void *
pool_main(void *arg)
{
	struct kx_pool_arg *a = arg;
	struct kx_pool *p = a->p;
	unsigned long seen;

	/* 0, not p->gen: a job posted before this thread first ran is still
	 * this thread's to join in (the caller waits for every worker) */
	seen = 0;
	pthread_mutex_lock(&p->mu);
	for (;;) {
		while (p->gen == seen && !p->quit)
			pthread_cond_wait(&p->go, &p->mu);
		if (p->quit)
			break;
		seen = p->gen;
		pool_run(p, a->id);
		if (--p->active == 0)
			pthread_cond_signal(&p->done);
	}
	pthread_mutex_unlock(&p->mu);
	return NULL;
}

static void
pool_free(struct kx_pool *p)
{
	size_t t;

	if (!p)
		return;
	pthread_mutex_lock(&p->mu);
	p->quit = 1;
	pthread_cond_broadcast(&p->go);
	pthread_mutex_unlock(&p->mu);
	for (t = 0; t < p->n_workers; t++)
		pthread_join(p->tid[t], NULL);
	pthread_cond_destroy(&p->go);
	pthread_cond_destroy(&p->done);
	pthread_mutex_destroy(&p->mu);
	free(p);
}

/* A pool of up to `workers` threads; NULL if not even the locks can be
 * made (the caller then runs every chunk itself). */
static struct kx_pool *
pool_new(struct kx_work **sub, size_t workers)
{
	struct kx_pool *p = calloc(1, sizeof *p);
	size_t t;

	if (!p)
		return NULL;
	if (pthread_mutex_init(&p->mu, NULL) != 0) {
		free(p);
		return NULL;
	}
	if (pthread_cond_init(&p->go, NULL) != 0 || pthread_cond_init(&p->done, NULL) != 0) {
		pthread_mutex_destroy(&p->mu);
		free(p);
		return NULL;
	}
	p->sub = sub;
	for (t = 0; t < workers && t + 1 < KX_MAX_THREADS; t++) {
		p->arg[t] = (struct kx_pool_arg){ p, t + 1 };
		if (pthread_create(&p->tid[t], NULL, pool_main, &p->arg[t]) != 0)
			break;
		p->n_workers++;
	}
	return p;
}

int
kx_model_forward(const struct kx_model *m, struct kx_work *w, const float *x, size_t n, float *y)
{
	struct kx_pool *p = w->pool;
	size_t parts, chunk;

	if (n > w->max_rows)
		return -1;
	if (w->n_sub == 0) {
		forward_one(m, w, x, n, y);
		return 0;
	}
	/* four chunks a thread, of at least KX_MIN_ROWS_PER_THREAD rows, and
	 * never more than a work area holds */
	parts = 4 * w->n_sub;
	chunk = (n + parts - 1) / parts;
	if (chunk < KX_MIN_ROWS_PER_THREAD)
		chunk = KX_MIN_ROWS_PER_THREAD;
	/* whole panels: a chunk's last panel is padded to 16 rows */
	if (kx_kernel_is_panel(m->kernel))
		chunk = (chunk + KX_PANEL - 1) / KX_PANEL * KX_PANEL;
	if (chunk > w->sub[0]->max_rows)
		chunk = w->sub[0]->max_rows;
	if (!p || p->n_workers == 0 || n <= chunk) {
		size_t c, cnt;
		for (c = 0; c < n; c += cnt) {
			cnt = n - c < chunk ? n - c : chunk;
			forward_one(m, w->sub[0], x + c * m->in, cnt, y + c * m->out);
		}
		return 0;
	}
	pthread_mutex_lock(&p->mu);
	p->m = m;
	p->x = x;
	p->y = y;
	p->n = n;
	p->chunk = chunk;
	p->next = 0;
	p->active = p->n_workers;
	p->gen++;
	pthread_cond_broadcast(&p->go);
	pool_run(p, 0);
	while (p->active > 0)
		pthread_cond_wait(&p->done, &p->mu);
	pthread_mutex_unlock(&p->mu);
	return 0;
}

int
kx_model_forward_ref(const struct kx_model *m, const float *x, size_t n, float *y)
{
	float *buf[2];
	const float *cur = x;
	size_t i;

	if (m->dag) {
		size_t s = dag_floats(m, n);
		float *nodes = s ? kx_mallocarray(s, sizeof(float)) : NULL;
		if (!nodes)
			return -1;
		forward_dag(m, nodes, NULL, x, n, y, 1);
		free(nodes);
		return 0;
	}
	buf[0] = kx_mallocarray(n ? n : 1, m->max_width * sizeof(float));
	buf[1] = kx_mallocarray(n ? n : 1, m->max_width * sizeof(float));
	if (!buf[0] || !buf[1]) {
		free(buf[0]);
		free(buf[1]);
		return -1;
	}
	for (i = 0; i < m->n_layers; i++) {
		float *dst = (i + 1 == m->n_layers) ? y : buf[i % 2];
		run_layer(&m->layers[i], &cur, n, dst, NULL, 1);
		cur = dst;
	}
	free(buf[0]);
	free(buf[1]);
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

	if (n_widths < 2 || G < 1 || k < 1 || k > KX_MAX_ORDER || !(lo < hi)) {
		kx_err_set(e, KX_EXIT_BADMODEL, "fresh model: need >= 2 widths, G >= 1, 1 <= k <= %d, "
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
