/* spec.c - config.json -> layer specs (see spec.h). */
#include <cjson/cJSON.h>
#include <ctype.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cfgscan.h"
#include "dtype.h"
#include "json.h"
#include "jsonconf.h"
#include "graphrefs.h"
#include "err.h"
#include "layer.h"
#include "spec.h"
#include "widths.h"

#define KX_MAX_NAME 128

static const char *
jstr(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
	return cJSON_IsString(v) ? v->valuestring : NULL;
}

int
kx_spec_metadata(struct kx_model *m, const char *label, const char *json, size_t len,
                 const struct kx_limits *lim, struct kx_err *e)
{
	cJSON *root = kx_json_parse_member(label, json, len, lim, e);
	const char *v;

	if (!root)
		return -1;
	if (!cJSON_IsObject(root)) {
		cJSON_Delete(root);
		return kx_err_set(e, KX_EXIT_BADMODEL, "%s: not a JSON object", label);
	}
	if ((v = jstr(root, "keras_version")))
		m->keras_version = strdup(v);
	if ((v = jstr(root, "date_saved")))
		m->date_saved = strdup(v);
	cJSON_Delete(root);
	return 0;
}

/* The class of a layer object: registered_name when it is a string
 * (custom objects), else class_name (built-in Keras objects). */
static const char *
layer_class(const cJSON *o, int *custom)
{
	const char *r = jstr(o, "registered_name");
	*custom = 0;
	if (r) {
		*custom = 1;
		return r;
	}
	return jstr(o, "class_name");
}

/* The weight groups of one container (a model's layer list): Keras's
 * _save_container_state names each entry by its class in snake case,
 * "dense", "dense_1", ..., counted per container, under the container's
 * own group ("layers/sequential/" for a nested Sequential). */
struct scope_name {
	char name[KX_MAX_NAME];
	size_t n;
};

struct scope {
	const char *prefix;        /* "" at the top, "layers/sequential/", ... */
	struct scope_name *c;
	size_t n, cap;
};

struct builder {
	struct kx_model *m;
	const char *label;
	const struct kx_limits *lim;
	struct kx_err *e;
	int bad;
	size_t cap;
	enum kx_dtype dtype;   /* the policy of the model being built: a layer's when its config
	                        * names none */
	int frozen;            /* in a top-level Functional model saved with trainable false */
	int describe;          /* kx_spec_parse_describe: placeholders for unknown classes */
};

/* Saved with trainable false (Keras's default is true). */
static int
cfg_frozen(const cJSON *cfg)
{
	return cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(cfg, "trainable"));
}

static void bad(struct builder *b, const char *lname, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* The dtype policy cfg["dtype"] names, into *out (absent or null: dflt,
 * and *implicit set); -1 after a message naming the layer (lname) for a
 * policy kanx does not know. */
static int
dtype_of(struct builder *b, const cJSON *cfg, const char *lname, enum kx_dtype dflt,
         enum kx_dtype *out, unsigned char *implicit)
{
	const cJSON *d = cJSON_GetObjectItemCaseSensitive(cfg, "dtype");
	const char *name;

	*implicit = !d || cJSON_IsNull(d);
	if (kx_dtype_parse(d, dflt, out, &name) == 0)
		return 0;
	bad(b, lname, "dtype policy '%.80s' is not supported (kanx knows float32, float64, "
	    "float16, bfloat16, mixed_float16, mixed_bfloat16)", name);
	return -1;
}

static void
bad(struct builder *b, const char *lname, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	kx_err_add(b->e, KX_EXIT_BADMODEL, "%s: layer '%s': %s", b->label, lname ? lname : "?", msg);
	b->bad = 1;
}

static void
oom(struct builder *b)
{
	kx_err_add(b->e, KX_EXIT_INTERNAL, "%s: out of memory", b->label);
	b->bad = 1;
}

/* The weight group of the next entry of class CLS in sc: "PREFIXlayers/
 * snake[_N]" (malloc'd), or NULL when memory runs out. */
static char *
scope_path(struct scope *sc, const char *cls)
{
	char snake[KX_MAX_NAME], *p;
	size_t i, len;

	kx_snake_case(cls, snake, sizeof snake);
	for (i = 0; i < sc->n; i++)
		if (strcmp(sc->c[i].name, snake) == 0)
			break;
	if (i == sc->n) {
		if (kx_grow(&sc->c, &sc->cap, sc->n + 1, sizeof *sc->c) != 0)
			return NULL;
		snprintf(sc->c[i].name, sizeof sc->c[i].name, "%s", snake);
		sc->c[i].n = 0;
		sc->n++;
	} else {
		sc->c[i].n++;
	}
	len = strlen(sc->prefix) + strlen(snake) + 32;
	if (!(p = malloc(len)))
		return NULL;
	if (sc->c[i].n)
		snprintf(p, len, "%slayers/%s_%zu", sc->prefix, snake, sc->c[i].n);
	else
		snprintf(p, len, "%slayers/%s", sc->prefix, snake);
	return p;
}

/* A node for a layer of kind ops reading nodes in[0 .. n_in), its weights
 * at path (taken over, freed on failure). Its node is m->n_layers after. */
static struct kx_layer *
new_layer(struct builder *b, const struct kx_layer_ops *ops, char *path, const char *name,
          const size_t *in, size_t n_in)
{
	struct kx_layer *l;
	const char *base;

	if (!path) {
		oom(b);
		return NULL;
	}
	if (b->m->n_layers >= b->lim->max_layers) {
		kx_err_add(b->e, KX_EXIT_BADMODEL, "%s: more than %zu layers", b->label, b->lim->max_layers);
		b->bad = 1;
		free(path);
		return NULL;
	}
	if (kx_grow(&b->m->layers, &b->cap, b->m->n_layers + 1, sizeof *b->m->layers) != 0) {
		free(path);
		oom(b);
		return NULL;
	}
	l = &b->m->layers[b->m->n_layers++];
	memset(l, 0, sizeof *l);
	l->ops = ops;
	base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
	l->class_name = strdup(ops->kind);
	l->name = strdup(name ? name : base);
	l->h5_group = path;
	l->inputs = kx_mallocarray(n_in ? n_in : 1, sizeof *l->inputs);
	if (!l->class_name || !l->name || !l->inputs) {
		oom(b);
		return NULL;
	}
	memcpy(l->inputs, in, n_in * sizeof *in);
	l->n_inputs = n_in;
	return l;
}

void
kx_parse_bad(struct kx_parse_ctx *ctx, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	kx_err_add(ctx->e, KX_EXIT_BADMODEL, "%s: layer '%s': %s", ctx->label,
	           ctx->lname ? ctx->lname : "?", msg);
	ctx->bad = 1;
}

static struct kx_parse_ctx
parse_ctx(struct builder *b, const char *lname, const struct kx_layer *kan_default)
{
	struct kx_parse_ctx c = { b->label, lname, b->lim, kan_default, b->e, 0, b->m->keras_version };
	return c;
}

/* The kanx defaults a KANLinear falls back to outside a kanx>KAN. */
static void
kan_defaults(struct kx_layer *d)
{
	memset(d, 0, sizeof *d);
	d->cfg_G = 5;
	d->cfg_k = 3;
	kx_act_lookup("silu", &d->act);
	d->cfg_lo = -1.0f;
	d->cfg_hi = 1.0f;
}

/* The kind of model a layer object is, when it is one. */
enum nested { NOT_MODEL, SEQUENTIAL, FUNCTIONAL, KAN };

static enum nested
model_kind(const cJSON *lo)
{
	int custom;
	const char *cls = layer_class(lo, &custom);

	if (!cls)
		return NOT_MODEL;
	if (custom && strcmp(cls, "kanx>KAN") == 0)
		return KAN;
	if (strcmp(cls, "Sequential") == 0)
		return SEQUENTIAL;
	if (strcmp(cls, "Functional") == 0 || (!custom && strcmp(cls, "Model") == 0))
		return FUNCTIONAL;
	return NOT_MODEL;
}

/* The Python class an object's weights are named after ("KAN" for a
 * kanx>KAN, "Dense", ...). */
static const char *
py_class(const cJSON *lo, const struct kx_layer_ops *ops)
{
	const char *c = jstr(lo, "class_name");
	return c ? c : ops ? ops->kind : "?";
}

/* The activation of a layer config when it is a layer object with
 * weights of its own (a PReLU passed as activation=), or NULL. */
static const cJSON *
weighted_act(const cJSON *cfg)
{
	const cJSON *a = cJSON_GetObjectItemCaseSensitive(cfg, "activation");
	const struct kx_layer_ops *ops;
	const char *cls;
	int custom;

	if (!cJSON_IsObject(a) || !(cls = layer_class(a, &custom)) ||
	    !(ops = kx_layer_find(cls, custom)) || !ops->tensors || ops->is_input)
		return NULL;
	return cJSON_IsObject(cJSON_GetObjectItemCaseSensitive(a, "config")) ? a : NULL;
}

/* Layer k (just added) whose activation is such an object: Keras saves
 * the object's weights under the layer's group, at activation/vars. The
 * layer is parsed without its activation, and the object runs as a node
 * of its own after it, "NAME/activation", which *out becomes. */
static int
split_act(struct builder *b, size_t k, const cJSON *cfg, struct kx_parse_ctx *ctx, size_t *out)
{
	const cJSON *ao = weighted_act(cfg);
	cJSON *c = cJSON_Duplicate(cfg, 1), *lin = cJSON_CreateString("linear");
	const struct kx_layer_ops *aops;
	struct kx_parse_ctx actx;
	struct kx_layer *l, *a;
	size_t node = k + 1;
	char *path, *name;
	int custom = 0;

	if (!c || !lin || !cJSON_ReplaceItemInObjectCaseSensitive(c, "activation", lin)) {
		cJSON_Delete(c);
		if (!c || !cJSON_GetObjectItemCaseSensitive(c, "activation"))
			cJSON_Delete(lin);
		oom(b);
		return -1;
	}
	l = &b->m->layers[k];
	l->ops->parse(l, c, ctx);
	cJSON_Delete(c);
	b->bad |= ctx->bad;
	if (ctx->bad)
		return -1;
	aops = kx_layer_find(layer_class(ao, &custom), custom);
	path = malloc(strlen(l->h5_group) + sizeof "/activation");
	name = malloc(strlen(l->name) + sizeof "/activation");
	if (path)
		sprintf(path, "%s/activation", l->h5_group);
	if (name)
		sprintf(name, "%s/activation", l->name);
	a = name ? new_layer(b, aops, path, name, &node, 1) : (free(path), oom(b), NULL);
	free(name);
	if (!a)
		return -1;
	l = &b->m->layers[k];   /* new_layer may have moved the array */
	a->dtype = l->dtype;
	a->dtype_implicit = l->dtype_implicit;
	a->frozen = l->frozen;
	actx = parse_ctx(b, a->name, NULL);
	aops->parse(a, cJSON_GetObjectItemCaseSensitive(ao, "config"), &actx);
	b->bad |= actx.bad;
	*out = b->m->n_layers;
	return actx.bad ? -1 : 0;
}

static int build_model(struct builder *b, const cJSON *lo, const char *prefix, size_t in,
                       size_t depth, size_t **outs, size_t *n_outs, char ***names);

/* One entry of a model's layer list, called on nodes in[0 .. n_in): a
 * nested model, or a layer of the table (not an InputLayer). Its weights
 * at path (taken over). Its output node in *out. -1 after a problem. */
static int
add_entry(struct builder *b, const cJSON *lo, char *path, const size_t *in, size_t n_in,
          size_t depth, size_t *out)
{
	const cJSON *cfg = cJSON_GetObjectItemCaseSensitive(lo, "config");
	const struct kx_layer_ops *ops;
	const char *cls, *lname;
	struct kx_parse_ctx ctx;
	struct kx_layer *l, dflt;
	enum kx_dtype dt;
	unsigned char implicit;
	int custom;

	cls = layer_class(lo, &custom);
	lname = cfg ? jstr(cfg, "name") : NULL;
	if (!lname)   /* an op node (Cast) names itself outside its config */
		lname = jstr(lo, "name");
	if (!cls || !cJSON_IsObject(cfg)) {
		bad(b, lname, "layer entry without class_name or config");
		free(path);
		return -1;
	}
	if (model_kind(lo) != NOT_MODEL) {
		size_t *o = NULL, n = 0;
		char *prefix = path ? malloc(strlen(path) + 2) : NULL;
		int rc;
		if (!prefix) {
			free(path);
			oom(b);
			return -1;
		}
		sprintf(prefix, "%s/", path);
		free(path);
		if (n_in != 1) {
			bad(b, lname, "a nested model is called on %zu tensors; kanx supports one", n_in);
			free(prefix);
			return -1;
		}
		rc = build_model(b, lo, prefix, in[0], depth + 1, &o, &n, NULL);
		free(prefix);
		if (rc == 0 && n != 1) {
			bad(b, lname, "a nested model with %zu outputs is not supported (one only)", n);
			rc = -1;
		}
		if (rc == 0)
			*out = o[0];
		free(o);
		return rc;
	}
	if (dtype_of(b, cfg, lname, b->dtype, &dt, &implicit) != 0) {
		free(path);
		return -1;
	}
	if (!(ops = kx_layer_find(cls, custom))) {
		if (!b->describe) {
			bad(b, lname, "unsupported layer class '%.100s'", cls);
			free(path);
			return -1;
		}
		ops = &kx_layer_unsupported;
	}
	if (ops->is_input) {
		bad(b, lname, "an InputLayer inside the model, read by another layer: kanx runs models "
		    "of one input");
		free(path);
		return -1;
	}
	kan_defaults(&dflt);
	ctx = parse_ctx(b, lname, &dflt);
	if (!(l = new_layer(b, ops, path, lname, in, n_in)))
		return -1;
	l->dtype = (unsigned char)dt;
	l->dtype_implicit = implicit;
	l->frozen = b->frozen || cfg_frozen(cfg);
	*out = b->m->n_layers;
	if (b->describe && kx_describe_entry(b->m, l, lo, cls, b->lim) != 0) {
		oom(b);
		return -1;
	}
	if (ops->placeholder)
		return 0;
	if (weighted_act(cfg))
		return split_act(b, b->m->n_layers - 1, cfg, &ctx, out);
	ops->parse(l, cfg, &ctx);
	b->bad |= ctx.bad;
	return ctx.bad ? -1 : 0;
}

/* The width an InputLayer object declares, or 0 after a problem. */
static size_t
input_width(struct builder *b, const cJSON *lo)
{
	const cJSON *cfg = cJSON_GetObjectItemCaseSensitive(lo, "config");
	const char *lname = cJSON_IsObject(cfg) ? jstr(cfg, "name") : NULL;
	struct kx_parse_ctx ctx = parse_ctx(b, lname, NULL);
	struct kx_layer in;
	const char *cls;
	enum kx_dtype dt;
	unsigned char implicit;
	int custom;

	memset(&in, 0, sizeof in);
	cls = layer_class(lo, &custom);
	if (!cJSON_IsObject(cfg) || !cls) {
		bad(b, lname, "layer entry without class_name or config");
		return 0;
	}
	if (dtype_of(b, cfg, lname, b->dtype, &dt, &implicit) != 0)
		return 0;
	if (b->m->n_layers == 0)   /* the model's own input, not a nested model's */
		b->m->in_dtype = (unsigned char)dt;
	if (kx_layer_find(cls, custom)->parse(&in, cfg, &ctx) != 0) {
		b->bad = 1;
		return 0;
	}
	return in.out;
}

static int
is_input_layer(const cJSON *lo)
{
	int custom;
	const char *cls = layer_class(lo, &custom);
	const struct kx_layer_ops *ops = cls ? kx_layer_find(cls, custom) : NULL;
	return ops && ops->is_input;
}

/* A kanx>KAN (cfg: its config) reading node in: its KANLinear layers in a
 * chain, their weights under sc. depth 0: the model itself, whose settings
 * inspect and validate show. */
static int
build_kan(struct builder *b, const cJSON *cfg, struct scope *sc, size_t in, size_t depth,
          size_t *out)
{
	const cJSON *layers = cJSON_GetObjectItemCaseSensitive(cfg, "layers"), *v;
	const char *name = jstr(cfg, "name");
	struct kx_parse_ctx ctx;
	struct kx_layer dflt, *l;
	size_t n, i, cur = in;

	kan_defaults(&dflt);
	/* b->dtype: the KAN's policy (build_model), its KANLinear layers' where they name none */
	ctx = parse_ctx(b, name, &dflt);
	kx_kan_params(&dflt, cfg, &dflt, &ctx);
	b->bad |= ctx.bad;
	if (ctx.bad)
		return -1;
	if (depth == 0) {
		b->m->cfg_grid_size = dflt.cfg_G;
		b->m->cfg_spline_order = dflt.cfg_k;
		b->m->cfg_grid_range[0] = dflt.cfg_lo;
		b->m->cfg_grid_range[1] = dflt.cfg_hi;
		free(b->m->cfg_base_activation);
		b->m->cfg_base_activation = strdup(kx_act_name(dflt.act));
	}
	if (!cJSON_IsArray(layers) || (n = (size_t)cJSON_GetArraySize(layers)) < 1) {
		bad(b, name, "KAN 'layers' must be a list of widths or layer dicts");
		return -1;
	}
	v = cJSON_GetArrayItem(layers, 0);
	if (cJSON_IsNumber(v)) {
		size_t prev = 0, w;
		if (n < 2) {
			bad(b, name, "KAN width list needs at least 2 entries");
			return -1;
		}
		for (i = 0; i < n; i++) {
			v = cJSON_GetArrayItem(layers, (int)i);
			if (kx_json_size(v, 1, b->lim->max_width, &w) != 0) {
				bad(b, name, "KAN widths must be integers from 1 to %zu", b->lim->max_width);
				return -1;
			}
			if (i > 0) {
				if (!(l = new_layer(b, &kx_layer_kan, scope_path(sc, "KANLinear"), NULL, &cur, 1)))
					return -1;
				l->in = prev;
				l->out = w;
				l->dtype = (unsigned char)b->dtype;
				l->dtype_implicit = 1;  /* KAN builds them under its policy */
				l->frozen = (unsigned char)b->frozen;
				kx_kan_params(l, NULL, &dflt, &ctx);  /* the model-wide settings */
				if (b->describe && kx_describe_kan(l) != 0) {
					oom(b);
					return -1;
				}
				cur = b->m->n_layers;
			}
			prev = w;
		}
		*out = cur;
		return 0;
	}
	cJSON_ArrayForEach(v, layers) {
		if (!cJSON_IsObject(v)) {
			bad(b, name, "KAN layer specs must all be widths or all be dicts");
			return -1;
		}
		enum kx_dtype dt_l;
		unsigned char implicit_l;
		if (!(l = new_layer(b, &kx_layer_kan, scope_path(sc, "KANLinear"), NULL, &cur, 1)))
			return -1;
		ctx = parse_ctx(b, l->name, &dflt);
		if (dtype_of(b, v, l->name, b->dtype, &dt_l, &implicit_l) != 0)
			return -1;
		l->dtype = (unsigned char)dt_l;
		l->dtype_implicit = implicit_l;
		l->frozen = b->frozen || cfg_frozen(v);
		kx_layer_kan.parse(l, v, &ctx);
		b->bad |= ctx.bad;
		if (!ctx.bad && b->describe && kx_describe_kan(l) != 0) {
			oom(b);
			return -1;
		}
		cur = b->m->n_layers;
	}
	*out = cur;
	return 0;
}

/* A Sequential (cfg: its config) reading node in; *last: the name of its
 * last layer (Keras names its output after it), if it has one. */
static int
build_sequential(struct builder *b, const cJSON *cfg, struct scope *sc, size_t in, size_t depth,
                 size_t *out, const char **last)
{
	const cJSON *layers = cJSON_GetObjectItemCaseSensitive(cfg, "layers"), *lo;
	size_t cur = in, w;
	int rc = 0;

	if (!cJSON_IsArray(layers)) {
		kx_err_add(b->e, KX_EXIT_BADMODEL, "%s: Sequential config without a layer list", b->label);
		b->bad = 1;
		return -1;
	}
	cJSON_ArrayForEach(lo, layers) {
		int custom;
		const char *cls = layer_class(lo, &custom);
		const struct kx_layer_ops *ops = cls ? kx_layer_find(cls, custom) : NULL;
		char *path = scope_path(sc, py_class(lo, ops));
		if (!path) {
			oom(b);
			return -1;
		}
		if (is_input_layer(lo)) {
			/* the model's input: its width, no node */
			free(path);
			w = input_width(b, lo);
			if (depth == 0 && w && b->m->in == 0)
				b->m->in = w;
			continue;
		}
		if (add_entry(b, lo, path, &cur, 1, depth, &cur) != 0)
			rc = -1;
		*last = jstr(cJSON_GetObjectItemCaseSensitive(lo, "config"), "name");
	}
	*out = cur;
	return rc;
}

/* One tensor an inbound node reads: a __keras_tensor__ object (Keras 3)
 * or [name, node, index, kwargs] (the tf.keras format). */
static const char *
arg_tensor(struct builder *b, const char *lname, const cJSON *a)
{
	const cJSON *cfg = cJSON_GetObjectItemCaseSensitive(a, "config");
	const cJSON *hist = cJSON_IsObject(a) ? cJSON_GetObjectItemCaseSensitive(cfg, "keras_history") : a;
	size_t node = 0, idx = 0;
	const char *from = kx_tensor_ref(hist, &node, &idx);

	if (!from) {
		bad(b, lname, "an inbound tensor is not a Keras tensor [layer, node, index]");
		return NULL;
	}
	if (node || idx) {
		bad(b, lname, "reads output %zu of call %zu of layer '%.100s'; kanx supports layers "
		    "called once with one output", idx, node, from);
		return NULL;
	}
	if (cJSON_IsArray(a) && cJSON_GetArraySize(a) == 4 && kx_kwargs_set(cJSON_GetArrayItem(a, 3))) {
		bad(b, lname, "the layer is called with arguments (kwargs '%.60s'); kanx supports plain "
		    "calls only", kx_kwargs_set(cJSON_GetArrayItem(a, 3)));
		return NULL;
	}
	return from;
}

/* The names of the layers whose outputs layer entry lo of a Functional
 * model reads, into names[0 .. *n) (at most KX_MAX_INPUTS). -1 after a
 * problem. */
static int
inbound(struct builder *b, const cJSON *lo, const char *lname, const char **names, size_t *n)
{
	const cJSON *nodes = cJSON_GetObjectItemCaseSensitive(lo, "inbound_nodes"), *node, *args, *a, *t;
	int k;

	*n = 0;
	if (!cJSON_IsArray(nodes) || (k = cJSON_GetArraySize(nodes)) == 0) {
		bad(b, lname, "the layer is called on nothing (no inbound node)");
		return -1;
	}
	if (k > 1) {
		bad(b, lname, "the layer is called %d times (shared weights); kanx supports layers "
		    "called once", k);
		return -1;
	}
	node = cJSON_GetArrayItem(nodes, 0);
	if (cJSON_IsArray(node)) {              /* [[name, node, index, kwargs], ...] */
		args = node;
	} else {
		const char *kw = kx_kwargs_set(cJSON_GetObjectItemCaseSensitive(node, "kwargs"));
		if (kw) {
			bad(b, lname, "the layer is called with arguments (kwargs '%.60s'); kanx supports "
			    "plain calls only", kw);
			return -1;
		}
		args = cJSON_GetObjectItemCaseSensitive(node, "args");
		if (!cJSON_IsArray(args) || cJSON_GetArraySize(args) != 1) {
			bad(b, lname, "the layer's call must take one argument (a tensor or a list of tensors)");
			return -1;
		}
		a = cJSON_GetArrayItem(args, 0);
		if (cJSON_IsObject(a)) {
			if (!(names[0] = arg_tensor(b, lname, a)))
				return -1;
			*n = 1;
			return 0;
		}
		args = a;
	}
	if (!cJSON_IsArray(args) || cJSON_GetArraySize(args) < 1) {
		bad(b, lname, "the layer's call reads no tensor");
		return -1;
	}
	cJSON_ArrayForEach(t, args) {
		if (*n >= KX_MAX_INPUTS) {
			bad(b, lname, "the layer reads more than %d tensors", KX_MAX_INPUTS);
			return -1;
		}
		if (!(names[*n] = arg_tensor(b, lname, t)))
			return -1;
		(*n)++;
	}
	return 0;
}

/* One entry of a Functional model's layer list. */
struct fentry {
	const cJSON *lo;
	const char *name;
	size_t from[KX_MAX_INPUTS];   /* the entries it reads */
	size_t n_from;
	size_t node;           /* its output node, once done */
	int input, done;
	int mark;              /* the walk from the outputs: 1 on the way, 2 finished */
	size_t idx, depth;     /* Keras's traversal index and depth (map_graph) */
};

/* Keras's _build_map_helper from entry i: each entry numbered when first
 * reached (idx), then what it reads, then it goes on post[] (inputs
 * before what reads them). A cycle is refused. */
static int
fvisit(struct builder *b, struct fentry *f, size_t i, size_t *post, size_t *n_post, size_t *n_idx,
       const char *fname)
{
	size_t j;

	if (f[i].mark == 2)
		return 0;
	if (f[i].mark == 1) {
		bad(b, f[i].name, "the layers of model '%.100s' read each other's outputs in a cycle; a "
		    "Functional model is a graph without cycles", fname ? fname : "?");
		return -1;
	}
	f[i].idx = (*n_idx)++;
	f[i].mark = 1;
	for (j = 0; j < f[i].n_from; j++)
		if (fvisit(b, f, f[i].from[j], post, n_post, n_idx, fname) != 0)
			return -1;
	f[i].mark = 2;
	post[(*n_post)++] = i;
	return 0;
}

/* Entry named name in f[0 .. n), or n. */
static size_t
fentry_find(const struct fentry *f, size_t n, const char *name)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (f[i].name && strcmp(f[i].name, name) == 0)
			return i;
	return n;
}

/* A Functional model (cfg: its config) whose input is node in: each layer
 * once the layers it reads are done (Keras lists them in that order; a
 * config that does not is taken in the order its graph needs), its
 * outputs those output_layers name. depth 0: its InputLayer gives the
 * model's width; names: the output layers' names. */
static int
build_functional(struct builder *b, const cJSON *cfg, struct scope *sc, size_t in, size_t depth,
                 size_t **outs, size_t *n_outs, char ***out_names)
{
	const cJSON *layers = cJSON_GetObjectItemCaseSensitive(cfg, "layers"), *lo;
	const char *fname = jstr(cfg, "name"), *io[KX_MAX_INPUTS], *refs[KX_MAX_INPUTS];
	struct fentry *f = NULL;
	size_t n = 0, i, j, k, n_io, left, nodes[KX_MAX_INPUTS], *post = NULL;
	int rc = -1;

	if (!cJSON_IsArray(layers)) {
		kx_err_add(b->e, KX_EXIT_BADMODEL, "%s: Functional config without a layer list", b->label);
		b->bad = 1;
		return -1;
	}
	if ((size_t)cJSON_GetArraySize(layers) > b->lim->max_layers + KX_MAX_INPUTS) {
		kx_err_add(b->e, KX_EXIT_BADMODEL, "%s: more than %zu layers", b->label, b->lim->max_layers);
		b->bad = 1;
		return -1;
	}
	if (!(f = kx_calloc((size_t)cJSON_GetArraySize(layers) + 1, sizeof *f))) {
		oom(b);
		return -1;
	}
	cJSON_ArrayForEach(lo, layers) {
		const cJSON *c = cJSON_GetObjectItemCaseSensitive(lo, "config");
		f[n].lo = lo;
		f[n].name = jstr(lo, "name") ? jstr(lo, "name") : cJSON_IsObject(c) ? jstr(c, "name") : NULL;
		f[n].input = is_input_layer(lo);
		if (!f[n].name) {
			bad(b, NULL, "a layer of Functional model '%.100s' has no name", fname ? fname : "?");
			goto out;
		}
		if (fentry_find(f, n, f[n].name) < n) {
			bad(b, f[n].name, "two layers of the model have this name");
			goto out;
		}
		n++;
	}
	/* the input */
	n_io = 0;
	if (kx_io_refs(cJSON_GetObjectItemCaseSensitive(cfg, "input_layers"), io, KX_MAX_INPUTS, &n_io, 0) != 0) {
		kx_err_add(b->e, KX_EXIT_BADMODEL, "%s: Functional model '%.100s': input_layers must "
		           "name the input as [layer, 0, 0]", b->label, fname ? fname : "?");
		b->bad = 1;
		goto out;
	}
	if (n_io > 1) {
		char list[300];
		size_t o = 0;
		for (i = 0; i < n_io && o < sizeof list - 1; i++)
			o += (size_t)snprintf(list + o, sizeof list - o, "%s'%.60s'", i ? ", " : "", io[i]);
		kx_err_add(b->e, KX_EXIT_BADMODEL, "%s: the model has %zu inputs (%s); kanx runs models "
		           "of one input tensor (batch, features)", b->label, n_io, list);
		b->bad = 1;
		goto out;
	}
	i = fentry_find(f, n, io[0]);
	if (i == n || !f[i].input) {
		kx_err_add(b->e, KX_EXIT_BADMODEL, "%s: input_layers names layer '%.100s', %s", b->label,
		           io[0], i == n ? "which is not in the model" : "which is not an InputLayer");
		b->bad = 1;
		goto out;
	}
	f[i].done = 1;
	f[i].node = in;
	if (depth == 0 && (k = input_width(b, f[i].lo)) != 0)
		b->m->in = k;
	/* the graph: whose outputs each layer reads */
	for (i = 0; i < n; i++) {
		if (f[i].input)
			continue;
		if (inbound(b, f[i].lo, f[i].name, refs, &k) != 0)
			continue;
		for (j = 0; j < k; j++) {
			size_t s = fentry_find(f, n, refs[j]);
			if (s == n) {
				bad(b, f[i].name, "reads the output of layer '%.100s', which is not in the model",
				    refs[j]);
				break;
			}
			if (f[s].input && !f[s].done) {
				bad(b, f[i].name, "reads InputLayer '%.100s', which is not the model's input "
				    "(input_layers)", refs[j]);
				break;
			}
			f[i].from[j] = s;
		}
		if (j == k)
			f[i].n_from = k;
	}
	if (b->bad)
		goto out;
	/* the outputs, and the layers they need in Keras's order (map_graph:
	 * by depth from the outputs, the deepest first, then by traversal);
	 * Keras names the weights in that order, and builds nothing else */
	n_io = 0;
	if (kx_io_refs(cJSON_GetObjectItemCaseSensitive(cfg, "output_layers"), io, KX_MAX_INPUTS, &n_io, 0) != 0) {
		kx_err_add(b->e, KX_EXIT_BADMODEL, "%s: Functional model '%.100s': output_layers must "
		           "name each output as [layer, 0, 0]", b->label, fname ? fname : "?");
		b->bad = 1;
		goto out;
	}
	for (i = 0; i < n_io; i++)
		if (fentry_find(f, n, io[i]) == n) {
			kx_err_add(b->e, KX_EXIT_BADMODEL, "%s: output_layers names layer '%.100s', which is "
			           "not in the model", b->label, io[i]);
			b->bad = 1;
			goto out;
		}
	if (!(post = kx_mallocarray(n + 1, sizeof *post))) {
		oom(b);
		goto out;
	}
	for (i = 0, k = 0, left = 0; i < n_io; i++)
		if (fvisit(b, f, fentry_find(f, n, io[i]), post, &k, &left, fname) != 0)
			goto out;
	for (i = k; i-- > 0;)
		for (j = 0; j < f[post[i]].n_from; j++)
			if (f[f[post[i]].from[j]].depth < f[post[i]].depth + 1)
				f[f[post[i]].from[j]].depth = f[post[i]].depth + 1;
	/* post[0 .. k) sorted by depth, deepest first, then idx (insertion) */
	for (i = 1; i < k; i++) {
		size_t e = post[i];
		for (j = i; j > 0 && (f[post[j - 1]].depth < f[e].depth ||
		                      (f[post[j - 1]].depth == f[e].depth && f[post[j - 1]].idx > f[e].idx)); j--)
			post[j] = post[j - 1];
		post[j] = e;
	}
	for (i = 0; i < k; i++) {
		struct fentry *t = &f[post[i]];
		int custom;
		const char *cls = layer_class(t->lo, &custom);
		char *path = scope_path(sc, py_class(t->lo, cls ? kx_layer_find(cls, custom) : NULL));
		if (!path) {
			oom(b);
			goto out;
		}
		if (t->input) {         /* the model's input (an InputLayer reached is it) */
			free(path);
			continue;
		}
		for (j = 0; j < t->n_from; j++)
			nodes[j] = f[t->from[j]].node;
		if (add_entry(b, t->lo, path, nodes, t->n_from, depth, &t->node) != 0)
			continue;
		t->done = 1;
	}
	if (b->bad)
		goto out;
	if (!(*outs = kx_mallocarray(n_io, sizeof **outs)) ||
	    (out_names && !(*out_names = kx_calloc(n_io, sizeof **out_names)))) {
		oom(b);
		goto out;
	}
	*n_outs = n_io;
	for (i = 0; i < n_io; i++) {
		(*outs)[i] = f[fentry_find(f, n, io[i])].node;
		if (out_names && !((*out_names)[i] = strdup(io[i]))) {
			oom(b);
			goto out;
		}
	}
	rc = 0;
out:
	free(post);
	free(f);
	return b->bad ? -1 : rc;
}

/* A model object lo (a Sequential, a Functional or a kanx>KAN) reading
 * node in, its weights under prefix; depth: the models around it. Its
 * output nodes into *outs (malloc'd, *n_outs of them); names (depth 0):
 * their layers' names. -1 after a problem. */
static int
build_model(struct builder *b, const cJSON *lo, const char *prefix, size_t in, size_t depth,
            size_t **outs, size_t *n_outs, char ***names)
{
	const cJSON *cfg = cJSON_GetObjectItemCaseSensitive(lo, "config");
	struct scope sc = { prefix, NULL, 0, 0 };
	const char *last = NULL;
	size_t out = in;
	enum kx_dtype outer;
	unsigned char implicit;
	int rc, outer_frozen = b->frozen;

	*outs = NULL;
	*n_outs = 0;
	if (depth > KX_MAX_NEST) {
		bad(b, cJSON_IsObject(cfg) ? jstr(cfg, "name") : NULL, "models nested more than %d "
		    "deep (a model inside a model inside ...); kanx refuses deeper nesting", KX_MAX_NEST);
		return -1;
	}
	if (!cJSON_IsObject(cfg)) {
		bad(b, NULL, "a nested model without a config");
		return -1;
	}
	/* the model's own policy, its layers' where they name none; the
	 * enclosing model's again after it */
	outer = b->dtype;
	if (dtype_of(b, cfg, jstr(cfg, "name"), outer, &b->dtype, &implicit) != 0)
		return -1;
	if (depth == 0) {
		b->m->dtype = (unsigned char)b->dtype;
		b->m->in_dtype = (unsigned char)b->dtype;
	}
	switch (model_kind(lo)) {
	case KAN:
		rc = build_kan(b, cfg, &sc, in, depth, &out);
		break;
	case SEQUENTIAL:
		rc = build_sequential(b, cfg, &sc, in, depth, &out, &last);
		break;
	case FUNCTIONAL:
		/* Keras reloads a Functional's trainable=False on the model, not
		 * on its layers (a Sequential's, not at all): at the top it
		 * trains nothing; nested, its layers keep their own flags */
		b->frozen |= depth == 0 && cfg_frozen(cfg);
		rc = build_functional(b, cfg, &sc, in, depth, outs, n_outs, names);
		free(sc.c);
		b->dtype = outer;
		b->frozen = outer_frozen;
		return rc;
	default:
		rc = -1;
		break;
	}
	free(sc.c);
	b->dtype = outer;
	if (rc != 0 || b->bad)
		return -1;
	if (!(*outs = malloc(sizeof **outs))) {
		oom(b);
		return -1;
	}
	(*outs)[0] = out;
	*n_outs = 1;
	if (names && last) {
		if (!(*names = kx_calloc(1, sizeof **names)) || !((*names)[0] = strdup(last))) {
			oom(b);
			return -1;
		}
	}
	return 0;
}

/* Bytes of float32 weights layer l will hold: the tensors its row of the
 * layer table expects. -1 on overflow. */
static int
layer_weight_bytes(const struct kx_layer *l, size_t *bytes)
{
	struct kx_tensor t[KX_MAX_TENSORS];
	size_t n = 0, nt = l->ops->tensors && !l->shapes_only ? l->ops->tensors(l, t) : 0, i, p;
	int d;

	for (i = 0; i < nt; i++) {
		for (p = 1, d = 0; d < t[i].rank; d++)
			if (kx_mul(p, t[i].dims[d], &p) != 0)
				return -1;
		if (kx_add(n, p, &n) != 0)
			return -1;
	}
	return kx_mul(n, sizeof(float), bytes);
}

static int
spec_parse(struct kx_model *m, const char *label, const char *json, size_t len,
           const struct kx_limits *lim, int describe, struct kx_err *e)
{
	struct builder *b;
	const cJSON *cfg;
	const char *cls, *v;
	cJSON *root;
	int custom, rc = -1;
	size_t i, w;

	root = kx_json_parse_member(label, json, len, lim, e);
	if (!root)
		return -1;
	b = calloc(1, sizeof *b);
	if (!b) {
		cJSON_Delete(root);
		return kx_err_set(e, KX_EXIT_INTERNAL, "%s: out of memory", label);
	}
	b->m = m;
	b->label = label;
	b->lim = lim;
	b->e = e;
	b->dtype = KX_DT_FLOAT32;
	b->describe = describe;

	cfg = cJSON_GetObjectItemCaseSensitive(root, "config");
	cls = cJSON_IsObject(root) ? layer_class(root, &custom) : NULL;
	if (!cls || !cJSON_IsObject(cfg)) {
		kx_err_set(e, KX_EXIT_BADMODEL, "%s: not a Keras model config (no class_name/config)", label);
		goto out;
	}
	if (kx_cfg_scan(root, label, e) != 0)
		goto out;
	m->class_name = strdup(custom && strchr(cls, '>') ? strchr(cls, '>') + 1 : cls);
	m->registered_name = custom && strchr(cls, '>') ? strdup(cls) : NULL;
	if ((v = jstr(cfg, "name")))
		m->name = strdup(v);
	m->compiled = cJSON_IsObject(cJSON_GetObjectItemCaseSensitive(root, "compile_config")) &&
	              cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(root, "compile_config")) > 0;
	if (kx_train_read(&m->train, cJSON_GetObjectItemCaseSensitive(root, "compile_config")) != 0) {
		kx_err_set(e, KX_EXIT_INTERNAL, "%s: out of memory", label);
		goto out;
	}

	{	/* input width from build_config, when given */
		const cJSON *bc = cJSON_GetObjectItemCaseSensitive(root, "build_config");
		const cJSON *is = bc ? cJSON_GetObjectItemCaseSensitive(bc, "input_shape") : NULL;
		if (is && !cJSON_IsNull(is) && kx_json_shape_last(is, lim, &w) == 0)
			m->in = w;
	}

	if (model_kind(root) == NOT_MODEL) {
		kx_err_set(e, KX_EXIT_BADMODEL, "%s: unsupported model class '%.100s' "
		           "(supported: kanx>KAN, Sequential, Functional)", label, cls);
		goto out;
	}
	if (build_model(b, root, "", 0, 0, &m->outputs, &m->n_outputs, &m->output_names) != 0 || b->bad)
		goto out;
	if (m->n_layers == 0) {
		kx_err_set(e, KX_EXIT_BADMODEL, "%s: the model has no layers", label);
		goto out;
	}
	/* A chain (each layer reads the node before it, the last one is the
	 * output) runs on every kernel; anything else is a graph. */
	m->dag = m->n_outputs != 1 || m->outputs[0] != m->n_layers;
	for (i = 0; i < m->n_layers; i++)
		if (m->layers[i].n_inputs != 1 || m->layers[i].inputs[0] != i)
			m->dag = 1;
	if (!m->output_names) {
		if (!(m->output_names = kx_calloc(m->n_outputs, sizeof *m->output_names)))
			goto nomem;
		for (i = 0; i < m->n_outputs; i++)
			if (!(m->output_names[i] = strdup(m->outputs[i] ? m->layers[m->outputs[i] - 1].name :
			                                  "input")))
				goto nomem;
	}
	/* The widths, node by node, each layer's from those of its inputs. */
	if (m->in == 0)
		m->in = m->layers[0].in;
	if ((describe ? kx_describe_widths(m, label, e) : kx_spec_widths(m, label, e)) != 0)
		goto out;
	/* The weights the config implies, against the limit, before the HDF5
	 * file is opened and anything is allocated for them. */
	for (i = 0, w = 0; i < m->n_layers; i++) {
		struct kx_layer *l = &m->layers[i];
		size_t lb;
		if (layer_weight_bytes(l, &lb) != 0 || kx_add(w, lb, &w) != 0 || w > lim->weight_bytes) {
			kx_err_add(e, KX_EXIT_BADMODEL, "%s: layer '%s' (%zu -> %zu): the weights the config "
			           "declares up to here pass the limit of %zu bytes", label, l->name, l->in,
			           l->out, lim->weight_bytes);
			goto out;
		}
	}
	/* the outputs side by side */
	for (i = 0, m->out = 0; i < m->n_outputs; i++) {
		size_t o = m->outputs[i];
		if (kx_model_output_width(m, i) == 0)
			break;          /* describe mode: unknown */
		if (kx_add(m->out, o ? m->layers[o - 1].out : m->in, &m->out) != 0 ||
		    m->out > lim->max_width) {
			kx_err_add(e, KX_EXIT_BADMODEL, "%s: the outputs together are wider than %zu", label,
			           lim->max_width);
			goto out;
		}
	}
	if (i < m->n_outputs)
		m->out = 0;
	rc = 0;
	goto out;
nomem:
	kx_err_set(e, KX_EXIT_INTERNAL, "%s: out of memory", label);
out:
	free(b);
	cJSON_Delete(root);
	return rc;
}

int
kx_spec_parse(struct kx_model *m, const char *label, const char *json, size_t len,
              const struct kx_limits *lim, struct kx_err *e)
{
	return spec_parse(m, label, json, len, lim, 0, e);
}

int
kx_spec_parse_describe(struct kx_model *m, const char *label, const char *json, size_t len,
                       const struct kx_limits *lim, struct kx_err *e)
{
	return spec_parse(m, label, json, len, lim, 1, e);
}
