/* yamlcfg.c - kanx YAML training configs: the kanx library's
 * validate_config() rules.
 *
 * Two passes: the document as a node tree (yamltree.c: line/column of
 * every node, YAML 1.1 scalar resolution), then validate_config()'s rules
 * over that tree with Python's int()/float()/str() reproduced (pyval.c),
 * so that the same file is accepted or refused, with the same message, as
 * in Python. */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "pyval.h"
#include "typo.h"
#include "yamlcfg.h"
#include "yamltree.h"

/* ---- validate_config ------------------------------------------------------ */

/* Steps one key lookup may take through "<<" merges (kx_ymap_get): bounds
 * the work on a pathological merge graph. */
#define MERGE_BUDGET 100000

struct vctx {
	const char *file;
	struct kx_diags *d;
	const struct kx_limits *lim;
	size_t errors;         /* error-level problems added by this read */
	int budget;
};

static void problem(struct vctx *c, enum kx_severity sev, const struct kx_ynode *at,
                    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static void
problem(struct vctx *c, enum kx_severity sev, const struct kx_ynode *at, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	if (sev == KX_SEV_ERROR)
		c->errors++;
	kx_diags_add(c->d, sev, c->file, at ? at->line : 1, at ? at->col : 1, NULL, "%s", msg);
}

static struct kx_yaml_mark
mark_of(const struct kx_ynode *n)
{
	struct kx_yaml_mark m = { 1, 1, 0 };

	if (n) {
		m.line = n->line;
		m.col = n->col;
	}
	return m;
}

/* The mark of a key's value, or of the enclosing key when it is absent. */
static struct kx_yaml_mark
mark_or(const struct kx_ynode *n, const struct kx_ynode *enclosing)
{
	struct kx_yaml_mark m = mark_of(n ? n : enclosing);

	m.dflt = n == NULL;
	return m;
}

static const struct kx_ynode *
get(struct vctx *c, const struct kx_ynode *m, const char *key)
{
	c->budget = MERGE_BUDGET;
	return kx_ymap_get(m, key, NULL, &c->budget);
}

/* Warn about keys the library ignores (typos silently give defaults), and
 * about duplicates. With only_near, warn only when a known key is close. */
static void
check_keys(struct vctx *c, const struct kx_ynode *m, const char *section,
           const char *const *known, int only_near)
{
	size_t i, j, k;

	if (m == NULL || m->kind != Y_MAP)
		return;
	for (i = 0; i + 1 < m->n; i += 2) {
		const struct kx_ynode *kn = m->kids[i];
		struct kx_yval kv;
		const char *near;
		int found = 0;

		if (kx_ykey_is_merge(kn))
			continue;
		kx_yaml_resolve(kn, &kv);
		if (kn->kind != Y_SCALAR || kv.t != YV_STR)
			continue;
		for (j = 0; known[j]; j++)
			if (strcmp(kn->text, known[j]) == 0)
				found = 1;
		if (found) {
			for (k = i + 2; k + 1 < m->n; k += 2)
				if (kx_ykey_is(m->kids[k], kn->text)) {
					problem(c, KX_SEV_WARNING, m->kids[k], "duplicate key '%s%s%s' (the last one wins)",
					        section, *section ? "." : "", kn->text);
					break;
				}
			continue;
		}
		near = kx_typo_nearest(kn->text, known);
		if (near && strlen(kn->text) < 2)
			near = NULL;
		if (near)
			problem(c, KX_SEV_WARNING, kn, "unknown key '%s%s%s' is ignored; did you mean '%s'?",
			        section, *section ? "." : "", kn->text, near);
		else if (!only_near)
			problem(c, KX_SEV_WARNING, kn, "unknown key '%s%s%s' is ignored", section,
			        *section ? "." : "", kn->text);
	}
}

/* An int field: int(v) with the library's bound check. */
static void
int_field(struct vctx *c, const struct kx_ynode *sec, const char *section, const char *key,
          long long def, long long *out, const struct kx_ynode **at)
{
	const struct kx_ynode *n = get(c, sec, key);
	char msg[KX_REPR_MAX], r[KX_REPR_MAX];
	int trunc;

	*out = def;
	if (at)
		*at = n;
	if (n == NULL)
		return;
	if (kx_py_int(n, out, &trunc, msg) != 0) {
		problem(c, KX_SEV_ERROR, n, "%s.%s: %s", section, key, msg);
		*out = def;
		return;
	}
	if (trunc)
		problem(c, KX_SEV_WARNING, n, "%s.%s is %s; the library truncates it to %lld", section, key,
		        kx_py_repr(n, r), *out);
}

static void
float_field(struct vctx *c, const struct kx_ynode *sec, const char *section, const char *key,
            double def, double *out, int *ok)
{
	const struct kx_ynode *n = get(c, sec, key);
	char msg[KX_REPR_MAX];

	*out = def;
	*ok = 1;
	if (n == NULL)
		return;
	if (kx_py_float(n, out, msg) != 0) {
		problem(c, KX_SEV_ERROR, n, "%s.%s: %s", section, key, msg);
		*out = def;
		*ok = 0;
	}
}

static int
str_field(struct vctx *c, const struct kx_ynode *sec, const char *key, const char *def, char **out)
{
	const struct kx_ynode *n = get(c, sec, key);
	char buf[KX_REPR_MAX];

	*out = strdup(n ? kx_py_str(n, buf) : def);
	return *out ? 0 : -1;
}

/* The `raw.get(NAME, {}) or {}` sections: NULL when absent or falsy. */
static const struct kx_ynode *
section(struct vctx *c, const struct kx_ynode *root, const char *name)
{
	const struct kx_ynode *s = get(c, root, name);

	if (s == NULL || !kx_py_truthy(s))
		return NULL;
	if (s->kind != Y_MAP) {
		problem(c, KX_SEV_ERROR, s, "%s must be a mapping", name);
		return NULL;
	}
	return s;
}

static const char *const root_keys[] = { "model", "training", "checkpoint", NULL };
static const char *const model_keys[] = { "layers", "grid_size", "spline_order", "base_activation",
	"grid_range", "regularization_factor", NULL };
static const char *const training_keys[] = { "lr", "epochs", "batch_size", "loss", "optimizer",
	"val_split", "early_stopping_patience", "seed", NULL };
static const char *const checkpoint_keys[] = { "dir", "filename", "save_best_only", "monitor", NULL };

/* Report unknown tags and malformed merges anywhere (yaml.safe_load refuses
 * the whole document for either). */
static void
check_nodes(struct vctx *c, const struct kx_ytree *t)
{
	const struct kx_ynode *n;
	struct kx_yval v;
	char r[KX_REPR_MAX];
	size_t i, j;

	for (n = t->all; n; n = n->chain) {
		if (n->kind == Y_SCALAR) {
			kx_yaml_resolve(n, &v);
			if (v.t == YV_BAD && n->tag && strncmp(n->tag, KX_YTAG, strlen(KX_YTAG)) == 0)
				problem(c, KX_SEV_ERROR, n, "cannot read %s as a %s", kx_py_repr(n, r),
				        n->tag + strlen(KX_YTAG));
			else if (v.t == YV_BAD)
				problem(c, KX_SEV_ERROR, n, "could not determine a constructor for the tag '%s'",
				        n->tag);
		} else if (n->tag && strcmp(n->tag, "!") != 0 &&
		           strcmp(n->tag, n->kind == Y_SEQ ? KX_YTAG "seq" : KX_YTAG "map") != 0 &&
		           !(n->kind == Y_MAP && (strcmp(n->tag, KX_YTAG "omap") == 0))) {
			problem(c, KX_SEV_ERROR, n, "could not determine a constructor for the tag '%s'", n->tag);
		}
		if (n->kind != Y_MAP)
			continue;
		for (i = 0; i + 1 < n->n; i += 2) {
			const struct kx_ynode *mv = n->kids[i + 1];
			int ok = 1;
			if (!kx_ykey_is_merge(n->kids[i]))
				continue;
			if (mv->kind == Y_SEQ) {
				for (j = 0; j < mv->n; j++)
					if (mv->kids[j]->kind != Y_MAP)
						ok = 0;
			} else if (mv->kind != Y_MAP) {
				ok = 0;
			}
			if (!ok)
				problem(c, KX_SEV_ERROR, mv, "expected a mapping or list of mappings for merging");
		}
	}
}

static int
validate(struct vctx *c, const struct kx_ytree *t, struct kx_kancfg *cfg)
{
	const struct kx_ynode *root = t->root, *model, *n, *tr, *ck, *mkey = NULL;
	struct kx_yval v;
	char msg[KX_REPR_MAX], r[KX_REPR_MAX];
	long long ll;
	int ok;

	check_nodes(c, t);
	/* yaml.safe_load(f) or {} */
	if (root && !kx_py_truthy(root))
		root = NULL;
	if (root && root->kind != Y_MAP) {
		problem(c, KX_SEV_ERROR, root, "Config root must be a mapping");
		return 0;
	}
	check_keys(c, root, "", root_keys, 1);

	/* ---- model ---- */
	c->budget = MERGE_BUDGET;
	model = kx_ymap_get(root, "model", &mkey, &c->budget);
	cfg->at_model = mark_of(model ? model : root);
	if (model == NULL || model->kind != Y_MAP) {
		problem(c, KX_SEV_ERROR, model ? model : root, "Config must contain a 'model' mapping");
		model = NULL;
	} else {
		check_keys(c, model, "model", model_keys, 0);
		n = get(c, model, "layers");
		cfg->at_layers = mark_or(n, mkey);
		if (n == NULL || n->kind != Y_SEQ || n->n < 2) {
			problem(c, KX_SEV_ERROR, n ? n : mkey,
			        "model.layers must be a list of >= 2 positive integers");
		} else {
			size_t i;
			cfg->layers = kx_mallocarray(n->n, sizeof *cfg->layers);
			cfg->at_layer = kx_mallocarray(n->n, sizeof *cfg->at_layer);
			if (cfg->layers == NULL || cfg->at_layer == NULL)
				return -1;
			cfg->n_layers = n->n;
			for (i = 0; i < n->n; i++) {
				const struct kx_ynode *w = n->kids[i];
				kx_yaml_resolve(w, &v);
				cfg->at_layer[i] = mark_of(w);
				cfg->layers[i] = 0;
				if ((v.t != YV_INT && v.t != YV_BOOL) || v.i <= 0) {
					problem(c, KX_SEV_ERROR, w, "model.layers entries must be positive ints, got %s",
					        kx_py_repr(w, r));
					continue;
				}
				if (v.t == YV_BOOL)
					problem(c, KX_SEV_WARNING, w,
					        "model.layers entry %s is a boolean; the library reads it as 1", w->text);
				if (v.big || (unsigned long long)v.i > c->lim->max_width) {
					problem(c, KX_SEV_ERROR, w, "model.layers entry %s is over kanx's limit of %zu features",
					        kx_py_repr(w, r), c->lim->max_width);
					continue;
				}
				cfg->layers[i] = (size_t)v.i;
			}
			if (n->n - 1 > c->lim->max_layers)
				problem(c, KX_SEV_ERROR, n, "model.layers has %zu layers, over kanx's limit of %zu",
				        n->n - 1, c->lim->max_layers);
		}

		/* grid_range = tuple(m.get("grid_range", (-1.0, 1.0))) */
		n = get(c, model, "grid_range");
		cfg->at_grid_range = mark_or(n, mkey);
		if (n) {
			kx_yaml_resolve(n, &v);
			if (v.t != YV_SEQ) {
				if (v.t == YV_STR || v.t == YV_MAP)
					problem(c, KX_SEV_ERROR, n, "model.grid_range must be [low, high] with low < high");
				else
					problem(c, KX_SEV_ERROR, n, "model.grid_range: '%s' object is not iterable",
					        kx_py_type_name(v.t));
			} else if (n->n != 2) {
				problem(c, KX_SEV_ERROR, n, "model.grid_range must be [low, high] with low < high");
			} else {
				double lo, hi;
				int okl = kx_py_float(n->kids[0], &lo, msg) == 0;
				if (!okl)
					problem(c, KX_SEV_ERROR, n->kids[0], "model.grid_range: %s", msg);
				ok = kx_py_float(n->kids[1], &hi, msg) == 0;
				if (!ok)
					problem(c, KX_SEV_ERROR, n->kids[1], "model.grid_range: %s", msg);
				if (okl && ok) {
					if (lo >= hi)
						problem(c, KX_SEV_ERROR, n, "model.grid_range must be [low, high] with low < high");
					else if (!isfinite(lo) || !isfinite(hi))
						problem(c, KX_SEV_ERROR, n, "model.grid_range must be finite, got %s",
						        kx_py_repr(n, r));
					cfg->grid_range[0] = lo;
					cfg->grid_range[1] = hi;
				}
			}
		}

		int_field(c, model, "model", "grid_size", 5, &ll, &n);
		cfg->at_grid_size = mark_or(n, mkey);
		if (ll <= 0)
			problem(c, KX_SEV_ERROR, n, "model.grid_size must be > 0");
		else if ((unsigned long long)ll > c->lim->max_grid)
			problem(c, KX_SEV_ERROR, n, "model.grid_size %lld is over kanx's limit of %zu", ll,
			        c->lim->max_grid);
		else
			cfg->grid_size = (size_t)ll;

		int_field(c, model, "model", "spline_order", 3, &ll, &n);
		cfg->at_spline_order = mark_or(n, mkey);
		if (ll < 1)
			problem(c, KX_SEV_ERROR, n, "model.spline_order must be >= 1");
		else if ((unsigned long long)ll > c->lim->max_order)
			problem(c, KX_SEV_ERROR, n, "model.spline_order %lld is over kanx's limit of %zu", ll,
			        c->lim->max_order);
		else
			cfg->spline_order = (size_t)ll;

		n = get(c, model, "base_activation");
		cfg->at_base_activation = mark_or(n, mkey);
		if (str_field(c, model, "base_activation", "silu", &cfg->base_activation) != 0)
			return -1;
		if (kx_act_lookup(cfg->base_activation, &cfg->act) != 0)
			problem(c, KX_SEV_ERROR, n, "model.base_activation: unknown activation '%s'",
			        cfg->base_activation);
		else if (cfg->act.kind == KX_ACT_GLU)
			problem(c, KX_SEV_ERROR, n,
			        "model.base_activation: '%s' halves the width and cannot be a KAN base activation",
			        cfg->base_activation);

		float_field(c, model, "model", "regularization_factor", 0.0, &cfg->regularization_factor, &ok);
	}

	/* ---- training ---- */
	tr = section(c, root, "training");
	check_keys(c, tr, "training", training_keys, 0);
	float_field(c, tr, "training", "lr", 1e-3, &cfg->lr, &ok);
	n = get(c, tr, "lr");
	if (ok && cfg->lr <= 0)
		problem(c, KX_SEV_ERROR, n, "training.lr must be > 0");
	else if (ok && !isfinite(cfg->lr))
		problem(c, KX_SEV_WARNING, n, "training.lr is %s; the library accepts it but training will fail",
		        kx_py_repr(n, r));
	int_field(c, tr, "training", "epochs", 50, &cfg->epochs, &n);
	if (cfg->epochs <= 0)
		problem(c, KX_SEV_ERROR, n, "training.epochs must be > 0");
	int_field(c, tr, "training", "batch_size", 32, &cfg->batch_size, &n);
	if (cfg->batch_size <= 0)
		problem(c, KX_SEV_ERROR, n, "training.batch_size must be > 0");
	if (str_field(c, tr, "loss", "mse", &cfg->loss) != 0 ||
	    str_field(c, tr, "optimizer", "adam", &cfg->optimizer) != 0)
		return -1;
	float_field(c, tr, "training", "val_split", 0.0, &cfg->val_split, &ok);
	if (ok && !(cfg->val_split >= 0.0 && cfg->val_split < 1.0))
		problem(c, KX_SEV_ERROR, get(c, tr, "val_split"), "training.val_split must be in [0, 1)");
	int_field(c, tr, "training", "early_stopping_patience", 0, &cfg->early_stopping_patience, NULL);
	int_field(c, tr, "training", "seed", 42, &cfg->seed, NULL);

	/* ---- checkpoint ---- */
	ck = section(c, root, "checkpoint");
	check_keys(c, ck, "checkpoint", checkpoint_keys, 0);
	if (str_field(c, ck, "dir", "checkpoints", &cfg->ckpt_dir) != 0 ||
	    str_field(c, ck, "filename", "kanx_model.keras", &cfg->ckpt_filename) != 0 ||
	    str_field(c, ck, "monitor", "loss", &cfg->monitor) != 0)
		return -1;
	n = get(c, ck, "save_best_only");
	cfg->save_best_only = n ? kx_py_truthy(n) : 1;
	return 0;
}

/* ---- entry points --------------------------------------------------------- */

/* Stable insertion sort by (line, column): a config has few problems. */
static void
sort_diags(struct kx_diag *v, size_t n)
{
	size_t i, j;

	for (i = 1; i < n; i++) {
		struct kx_diag x = v[i];
		for (j = i; j > 0 && (v[j - 1].line > x.line ||
		                      (v[j - 1].line == x.line && v[j - 1].col > x.col)); j--)
			v[j] = v[j - 1];
		v[j] = x;
	}
}

void
kx_kancfg_free(struct kx_kancfg *c)
{
	if (c == NULL)
		return;
	free(c->path);
	free(c->layers);
	free(c->at_layer);
	free(c->base_activation);
	free(c->loss);
	free(c->optimizer);
	free(c->ckpt_dir);
	free(c->ckpt_filename);
	free(c->monitor);
	free(c);
}

int
kx_kancfg_read_mem(const char *name, const void *buf, size_t len, const struct kx_limits *lim,
                   struct kx_kancfg **out, struct kx_diags *d, struct kx_err *e)
{
	struct kx_ytree t;
	struct vctx c;
	struct kx_kancfg *cfg;
	size_t first;
	int rc;

	*out = NULL;
	memset(&t, 0, sizeof t);
	memset(&c, 0, sizeof c);
	t.file = name;
	c.file = name;
	c.d = d;
	c.lim = lim;
	if (len > lim->config_bytes) {
		kx_diags_add(d, KX_SEV_ERROR, name, 0, 0, NULL,
		             "config is %zu bytes, over the limit of %zu bytes", len, lim->config_bytes);
		return 0;
	}
	cfg = calloc(1, sizeof *cfg);
	if (cfg == NULL)
		goto oom;
	cfg->path = strdup(name);
	if (cfg->path == NULL)
		goto oom;
	cfg->grid_size = 5;
	cfg->spline_order = 3;
	cfg->grid_range[0] = -1.0;
	cfg->grid_range[1] = 1.0;
	kx_act_lookup("silu", &cfg->act);

	rc = kx_ytree_build(&t, buf, len, lim->json_depth, d);
	if (rc < 0)
		goto oom;
	if (rc > 0) {
		kx_ytree_free(&t);
		kx_kancfg_free(cfg);
		return 0;
	}
	first = d->n;
	if (validate(&c, &t, cfg) != 0)
		goto oom;
	/* Report in document order (validate runs in the library's order). */
	if (d->n > first + 1)
		sort_diags(d->v + first, d->n - first);
	kx_ytree_free(&t);
	if (c.errors > 0 || d->oom) {
		kx_kancfg_free(cfg);
		return 0;
	}
	*out = cfg;
	return 0;
oom:
	kx_ytree_free(&t);
	kx_kancfg_free(cfg);
	return kx_err_set(e, KX_EXIT_INTERNAL, "%s: out of memory", name);
}

int
kx_kancfg_read(const char *path, const struct kx_limits *lim, struct kx_kancfg **out,
               struct kx_diags *d, struct kx_err *e)
{
	FILE *f;
	unsigned char *buf;
	size_t len = 0, cap = lim->config_bytes + 1, got;
	int rc;

	*out = NULL;
	f = fopen(path, "rb");
	if (f == NULL) {
		if (errno == ENOENT)
			return kx_err_set(e, KX_EXIT_IO, "Config file not found: %s", path);
		return kx_err_set(e, KX_EXIT_IO, "%s: %s", path, strerror(errno));
	}
	if (cap > (size_t)1 << 20)
		cap = (size_t)1 << 20;
	buf = malloc(cap);
	if (buf == NULL) {
		fclose(f);
		return kx_err_set(e, KX_EXIT_INTERNAL, "%s: out of memory", path);
	}
	for (;;) {
		if (len == cap) {
			if (cap > lim->config_bytes)  /* already one byte over: enough to refuse */
				break;
			if (kx_grow_max(&buf, &cap, len + 1, lim->config_bytes + 1, 1) != 0) {
				free(buf);
				fclose(f);
				return kx_err_set(e, KX_EXIT_INTERNAL, "%s: out of memory", path);
			}
		}
		got = fread(buf + len, 1, cap - len, f);
		len += got;
		if (got == 0)
			break;
	}
	if (ferror(f)) {
		int err = errno;
		free(buf);
		fclose(f);
		return kx_err_set(e, KX_EXIT_IO, "%s: %s", path, strerror(err ? err : EIO));
	}
	fclose(f);
	rc = kx_kancfg_read_mem(path, buf, len, lim, out, d, e);
	free(buf);
	return rc;
}

static void
append_diag(struct kx_err *e, const struct kx_diag *x)
{
	if (x->line)
		kx_err_add(e, KX_EXIT_BADMODEL, "%s:%lu:%lu: %s", x->file ? x->file : "-", x->line, x->col, x->msg);
	else
		kx_err_add(e, KX_EXIT_BADMODEL, "%s: %s", x->file ? x->file : "-", x->msg);
}

struct kx_kancfg *
kx_kancfg_load(const char *path, const struct kx_limits *lim,
               void (*warn)(void *ctx, const char *msg), void *ctx, struct kx_err *e)
{
	struct kx_diags d;
	struct kx_kancfg *cfg = NULL;
	size_t i;

	kx_diags_init(&d);
	kx_err_clear(e);
	if (kx_kancfg_read(path, lim, &cfg, &d, e) != 0) {
		kx_diags_free(&d);
		return NULL;
	}
	for (i = 0; i < d.n; i++) {
		const struct kx_diag *x = &d.v[i];
		if (x->sev == KX_SEV_ERROR) {
			append_diag(e, x);
		} else if (warn) {
			char buf[1200];
			if (x->line)
				snprintf(buf, sizeof buf, "%s:%lu:%lu: %s", x->file, x->line, x->col, x->msg);
			else
				snprintf(buf, sizeof buf, "%s: %s", x->file, x->msg);
			warn(ctx, buf);
		}
	}
	if (cfg == NULL && e->code == 0)
		kx_err_set(e, KX_EXIT_BADMODEL, "%s: invalid config", path);
	kx_diags_free(&d);
	return cfg;
}
