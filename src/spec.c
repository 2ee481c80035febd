/* spec.c - config.json -> layer specs (see spec.h). */
#include <cjson/cJSON.h>
#include <ctype.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dtype.h"
#include "json.h"
#include "err.h"
#include "layer.h"
#include "spec.h"

#define KX_MAX_NAME 128

void
kx_snake_case(const char *cls, char *out, size_t size)
{
	/* Keras: re.sub("(.)([A-Z][a-z]+)", r"\1_\2"), then
	 * re.sub("([a-z0-9])([A-Z])", r"\1_\2"), then lower(). */
	char tmp[KX_MAX_NAME * 2];
	size_t n = strlen(cls), i, o = 0;

	if (size == 0)
		return;
	for (i = 0; i < n && o + 2 < sizeof tmp; i++) {
		if (i > 0 && isupper((unsigned char)cls[i]) && i + 1 < n &&
		    islower((unsigned char)cls[i + 1]) && tmp[o - 1] != '_')
			tmp[o++] = '_';
		tmp[o++] = cls[i];
	}
	tmp[o] = '\0';
	n = o;
	o = 0;
	for (i = 0; i < n && o + 2 < size; i++) {
		if (i > 0 && isupper((unsigned char)tmp[i]) &&
		    (islower((unsigned char)tmp[i - 1]) || isdigit((unsigned char)tmp[i - 1])))
			out[o++] = '_';
		out[o++] = (char)tolower((unsigned char)tmp[i]);
	}
	out[o] = '\0';
}

int
kx_json_depth_ok(const char *json, size_t len, size_t max_depth)
{
	size_t i, depth = 0;
	int in_str = 0;

	for (i = 0; i < len; i++) {
		char c = json[i];
		if (in_str) {
			if (c == '\\')
				i++;
			else if (c == '"')
				in_str = 0;
		} else if (c == '"') {
			in_str = 1;
		} else if (c == '[' || c == '{') {
			if (++depth > max_depth)
				return -1;
		} else if (c == ']' || c == '}') {
			if (depth > 0)
				depth--;
		}
	}
	return 0;
}

static const char *
jstr(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
	return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* A non-negative integer-valued number within [lo, hi]. */
int
kx_json_size(const cJSON *v, size_t lo, size_t hi, size_t *out)
{
	double d;

	if (!cJSON_IsNumber(v))
		return -1;
	d = v->valuedouble;
	if (!(d >= (double)lo && d <= (double)hi) || d != floor(d))
		return -1;
	*out = (size_t)d;
	return 0;
}

static cJSON *
parse_json(const char *label, const char *json, size_t len, const struct kx_limits *lim,
           struct kx_err *e)
{
	const char *end = NULL;
	struct kx_json_fault f;
	size_t start, line, col;
	cJSON *root;
	int r;

	if (len > lim->config_bytes) {
		kx_err_set(e, KX_EXIT_BADMODEL, "%s: %zu bytes, over the limit of %zu", label, len,
		           lim->config_bytes);
		return NULL;
	}
	if (memchr(json, '\0', len)) {
		kx_err_set(e, KX_EXIT_BADMODEL, "%s: contains a NUL byte", label);
		return NULL;
	}
	if (kx_json_depth_ok(json, len, lim->json_depth) != 0) {
		kx_err_set(e, KX_EXIT_BADMODEL, "%s: JSON nested deeper than %zu levels", label,
		           lim->json_depth);
		return NULL;
	}
	/* The text as Python's json reads it, or refused where cJSON would
	 * read it otherwise (duplicate keys, "\u0000", lax numbers, ...). */
	r = kx_json_strict(json, len, lim->json_depth, &start, &f);
	if (r == -2) {
		kx_err_set(e, KX_EXIT_INTERNAL, "%s: out of memory", label);
		return NULL;
	}
	if (r != 0) {
		kx_text_pos(json, len, f.off, &line, &col);
		kx_err_set(e, KX_EXIT_BADMODEL, "%s:%zu:%zu: %s", label, line, col, f.msg);
		return NULL;
	}
	root = cJSON_ParseWithLengthOpts(json + start, len - start, &end, 0);
	if (!root) {
		kx_text_pos(json, len, end ? (size_t)(end - json) : 0, &line, &col);
		kx_err_set(e, KX_EXIT_BADMODEL, "%s:%zu:%zu: invalid JSON", label, line, col);
		return NULL;
	}
	return root;
}

int
kx_spec_metadata(struct kx_model *m, const char *label, const char *json, size_t len,
                 const struct kx_limits *lim, struct kx_err *e)
{
	cJSON *root = parse_json(label, json, len, lim, e);
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

/* Keras writes a Python object as {"module", "class_name", "config",
 * "registered_name"}; a Python loader imports the module and may run
 * marshalled bytecode. kanx imports and runs nothing, and refuses, anywhere
 * in the config, what would make Python do so or reach outside the
 * archive: lambdas, functions from outside keras, modules other than
 * keras.* and kanx.*, registered names other than kanx's, values that name
 * a URL or a file. */

static int
module_ok(const char *m)
{
	return strcmp(m, "keras") == 0 || strncmp(m, "keras.", 6) == 0 ||
	       strcmp(m, "kanx") == 0 || strncmp(m, "kanx.", 5) == 0;
}

static int
registered_ok(const char *r)
{
	static const char *const ok[] = { "kanx>KAN", "kanx>KANLinear", "Functional", "Sequential", NULL };
	size_t i;

	for (i = 0; ok[i]; i++)
		if (strcmp(r, ok[i]) == 0)
			return 1;
	return 0;
}

/* A URL ("scheme://...", "file:...") or a file path ("/...", "~/...", "../..."). */
static const char *
names_outside(const char *s)
{
	const char *p = s;

	if (isalpha((unsigned char)*p)) {
		while (isalnum((unsigned char)*p) || *p == '+' || *p == '-' || *p == '.')
			p++;
		if (strncmp(p, "://", 3) == 0 || (strncmp(s, "file:", 5) == 0))
			return "a URL";
	}
	if (s[0] == '/' || strncmp(s, "~/", 2) == 0 || strncmp(s, "../", 3) == 0 ||
	    strncmp(s, "./", 2) == 0)
		return "a file";
	return NULL;
}

static int
file_key(const char *k)
{
	static const char *const keys[] = { "filepath", "file_path", "filename", "file", "path",
	                                    "url", "uri", "origin", NULL };
	size_t i;

	for (i = 0; keys[i]; i++)
		if (strcmp(k, keys[i]) == 0)
			return 1;
	return 0;
}

#define WHERE(p) ((p)[0] ? (p) : "top level")

/* Scan v, found at PATH (a buffer of SIZE bytes holding LEN of them). */
static int
scan_value(const cJSON *v, char *path, size_t len, size_t size, const char *label,
           struct kx_err *e)
{
	const cJSON *c;
	size_t i = 0;

	if (cJSON_IsString(v)) {
		const char *what = names_outside(v->valuestring);
		if (what)
			return kx_err_set(e, KX_EXIT_BADMODEL, "%s: %s: '%.100s' names %s; kanx reads "
			                  "nothing outside the archive", label, WHERE(path), v->valuestring, what);
		return 0;
	}
	if (cJSON_IsObject(v)) {
		const char *cls = jstr(v, "class_name"), *mod = jstr(v, "module");
		const char *reg = jstr(v, "registered_name");
		int fn = cls && strcmp(cls, "function") == 0;

		if (cls && strcmp(cls, "__lambda__") == 0)
			return kx_err_set(e, KX_EXIT_BADMODEL, "%s: %s: a Python lambda (marshalled bytecode) "
			                  "is refused; kanx runs no Python code", label, WHERE(path));
		if (mod && !module_ok(mod))
			return kx_err_set(e, KX_EXIT_BADMODEL, "%s: %s: names module '%.100s'; kanx imports "
			                  "nothing and supports only keras and kanx objects", label,
			                  WHERE(path), mod);
		if (fn && !mod)
			return kx_err_set(e, KX_EXIT_BADMODEL, "%s: %s: a Python function from no named "
			                  "module is refused", label, WHERE(path));
		if (reg && !fn && !registered_ok(reg))
			return kx_err_set(e, KX_EXIT_BADMODEL, "%s: %s: registered_name '%.100s' is not "
			                  "supported (only kanx>KAN and kanx>KANLinear)", label, WHERE(path), reg);
	} else if (!cJSON_IsArray(v)) {
		return 0;
	}
	cJSON_ArrayForEach(c, v) {
		size_t n;
		int w;

		if (cJSON_IsObject(v))
			w = snprintf(path + len, size - len, "%s%s", len ? "." : "", c->string ? c->string : "?");
		else
			w = snprintf(path + len, size - len, "[%zu]", i++);
		n = w < 0 || (size_t)w >= size - len ? size - 1 : len + (size_t)w;
		if (cJSON_IsObject(v) && c->string && file_key(c->string) && cJSON_IsString(c) &&
		    c->valuestring[0])
			return kx_err_set(e, KX_EXIT_BADMODEL, "%s: %s: names a file or URL; kanx reads "
			                  "nothing outside the archive", label, path);
		if (scan_value(c, path, n, size, label, e) != 0)
			return -1;
		path[len] = '\0';
	}
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

struct builder {
	struct kx_model *m;
	const char *label;
	const struct kx_limits *lim;
	struct kx_err *e;
	int bad;
	/* per-class counters for the weights paths */
	char used[64][KX_MAX_NAME];
	size_t used_n[64];
	size_t n_used;
	size_t cap;
	enum kx_dtype dtype;   /* the model's policy: a layer's when its config names none */
	unsigned char dtype_implicit;  /* the model's config names none either */
};

/* The dtype policy cfg["dtype"] names, into *out (absent: dflt); -1 after
 * a message naming the layer (lname) for a policy kanx does not know. */
static int dtype_of(struct builder *b, const cJSON *cfg, const char *lname, enum kx_dtype dflt,
                    enum kx_dtype *out, unsigned char *implicit);

static struct kx_layer *
new_layer(struct builder *b, const struct kx_layer_ops *ops, const char *cls, const char *name)
{
	char snake[KX_MAX_NAME], path[KX_MAX_NAME * 2];
	struct kx_layer *l;
	size_t i;

	if (b->m->n_layers >= b->lim->max_layers) {
		kx_err_add(b->e, KX_EXIT_BADMODEL, "%s: more than %zu layers", b->label, b->lim->max_layers);
		b->bad = 1;
		return NULL;
	}
	if (b->m->n_layers == b->cap) {
		size_t nc = b->cap ? b->cap * 2 : 8;
		struct kx_layer *nl = kx_mallocarray(nc, sizeof *nl);
		if (!nl)
			return NULL;
		if (b->m->n_layers)
			memcpy(nl, b->m->layers, b->m->n_layers * sizeof *nl);
		free(b->m->layers);
		b->m->layers = nl;
		b->cap = nc;
	}
	l = &b->m->layers[b->m->n_layers++];
	memset(l, 0, sizeof *l);
	l->ops = ops;
	kx_snake_case(cls, snake, sizeof snake);
	for (i = 0; i < b->n_used; i++)
		if (strcmp(b->used[i], snake) == 0)
			break;
	if (i == b->n_used && i < 64) {
		snprintf(b->used[i], KX_MAX_NAME, "%s", snake);
		b->used_n[i] = 0;
		b->n_used++;
		snprintf(path, sizeof path, "layers/%s", snake);
	} else if (i < 64) {
		b->used_n[i]++;
		snprintf(path, sizeof path, "layers/%s_%zu", snake, b->used_n[i]);
	} else {
		snprintf(path, sizeof path, "layers/%s", snake);
	}
	l->class_name = strdup(cls);
	l->name = strdup(name ? name : path + strlen("layers/"));
	l->h5_group = strdup(path);
	if (!l->class_name || !l->name || !l->h5_group)
		return NULL;
	return l;
}

static void bad(struct builder *b, const char *lname, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

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

static int
dtype_of(struct builder *b, const cJSON *cfg, const char *lname, enum kx_dtype dflt,
         enum kx_dtype *out, unsigned char *implicit)
{
	*implicit = !cJSON_GetObjectItemCaseSensitive(cfg, "dtype") ||
	            cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(cfg, "dtype"));
	const char *name;

	if (kx_dtype_parse(cJSON_GetObjectItemCaseSensitive(cfg, "dtype"), dflt, out, &name) == 0)
		return 0;
	bad(b, lname, "dtype policy '%.80s' is not supported (kanx knows float32, float64, "
	    "float16, bfloat16, mixed_float16, mixed_bfloat16)", name);
	return -1;
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

/* The last dimension of a shape list like [null, 3]. */
int
kx_json_shape_last(const cJSON *shape, const struct kx_limits *lim, size_t *out)
{
	int n;

	if (!cJSON_IsArray(shape) || (n = cJSON_GetArraySize(shape)) != 2)
		return -1;
	return kx_json_size(cJSON_GetArrayItem(shape, n - 1), 1, lim->max_width, out);
}

/* One layer object of a Sequential or Functional model: the row of the
 * layer table that accepts its class parses its config. */
static void
add_layer(struct builder *b, const cJSON *lo, const struct kx_layer *kan_default)
{
	const cJSON *cfg = cJSON_GetObjectItemCaseSensitive(lo, "config");
	const struct kx_layer_ops *ops;
	const char *cls, *lname;
	struct kx_parse_ctx ctx;
	struct kx_layer *l;
	enum kx_dtype dt;
	unsigned char implicit;
	int custom;

	cls = layer_class(lo, &custom);
	lname = cfg ? jstr(cfg, "name") : NULL;
	if (!cls || !cJSON_IsObject(cfg)) {
		bad(b, lname, "layer entry without class_name or config");
		return;
	}
	if (dtype_of(b, cfg, lname, b->dtype, &dt, &implicit) != 0)
		return;
	if (!(ops = kx_layer_find(cls, custom))) {
		char msg[200];
		snprintf(msg, sizeof msg, "unsupported layer class '%.100s'", cls);
		bad(b, lname, "%s", msg);
		return;
	}
	ctx = parse_ctx(b, lname, kan_default);
	if (ops->is_input) {
		/* the model's input: its width, no node */
		struct kx_layer in;
		memset(&in, 0, sizeof in);
		if (ops->parse(&in, cfg, &ctx) == 0 && b->m->in == 0)
			b->m->in = in.out;
		b->m->in_dtype = (unsigned char)dt;
		b->bad |= ctx.bad;
		return;
	}
	if (!(l = new_layer(b, ops, ops->kind, lname))) {
		kx_err_add(b->e, KX_EXIT_INTERNAL, "%s: out of memory", b->label);
		b->bad = 1;
		return;
	}
	l->dtype = (unsigned char)dt;
	l->dtype_implicit = implicit;
	ops->parse(l, cfg, &ctx);
	b->bad |= ctx.bad;
}

/* A tensor reference [layer name, node index, tensor index]: the layer's
 * name when it is [name, 0, 0] (each layer of a chain is called once and
 * has one output), else NULL. */
static const char *
tensor_ref(const cJSON *t)
{
	const cJSON *n = cJSON_GetArrayItem(t, 0);
	size_t node, idx;

	if (!cJSON_IsArray(t) || cJSON_GetArraySize(t) != 3 || !cJSON_IsString(n) ||
	    kx_json_size(cJSON_GetArrayItem(t, 1), 0, 0, &node) != 0 ||
	    kx_json_size(cJSON_GetArrayItem(t, 2), 0, 0, &idx) != 0)
		return NULL;
	return n->valuestring;
}

/* input_layers / output_layers: one tensor, written [name, 0, 0] (Keras
 * 3.16) or [[name, 0, 0]] (3.3, 3.8). The layer name, or NULL. */
static const char *
io_layer(const cJSON *v)
{
	if (cJSON_IsArray(v) && cJSON_IsString(cJSON_GetArrayItem(v, 0)))
		return tensor_ref(v);
	if (cJSON_IsArray(v) && cJSON_GetArraySize(v) == 1)
		return tensor_ref(cJSON_GetArrayItem(v, 0));
	return NULL;
}

/* Functional: accept a single chain input -> l1 -> l2 -> ... -> output, in
 * the order the config lists the layers, whose input_layers name its
 * InputLayer and whose output_layers name its last layer: what kanx runs
 * is then what Keras builds. Anything else (an output taken from an inner
 * layer, several inputs or outputs, call arguments) is refused. */
static int
check_chain(struct builder *b, const cJSON *cfg, const cJSON *layers)
{
	const cJSON *lo, *prev = NULL;
	const char *in, *out, *first = NULL, *last = NULL;
	int custom;

	cJSON_ArrayForEach(lo, layers) {
		const cJSON *nodes = cJSON_GetObjectItemCaseSensitive(lo, "inbound_nodes");
		const char *name = jstr(lo, "name"), *cls = layer_class(lo, &custom);
		if (!prev) {
			if (cJSON_GetArraySize(nodes) != 0 || !cls || custom || strcmp(cls, "InputLayer") != 0) {
				bad(b, name, "a Functional model must start with its InputLayer");
				return -1;
			}
			first = name;
		} else {
			const cJSON *node, *args, *kw, *t;
			const char *from;
			if (!cJSON_IsArray(nodes) || cJSON_GetArraySize(nodes) != 1 ||
			    !(node = cJSON_GetArrayItem(nodes, 0)) ||
			    !cJSON_IsArray(args = cJSON_GetObjectItemCaseSensitive(node, "args")) ||
			    cJSON_GetArraySize(args) != 1 ||
			    !(t = cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(args, 0), "config")) ||
			    !(from = tensor_ref(cJSON_GetObjectItemCaseSensitive(t, "keras_history"))) ||
			    !jstr(prev, "name") || strcmp(from, jstr(prev, "name")) != 0) {
				bad(b, name, "only single-chain Functional models are supported "
				    "(each layer must take the previous layer's output)");
				return -1;
			}
			kw = cJSON_GetObjectItemCaseSensitive(node, "kwargs");
			if (kw && !cJSON_IsNull(kw) && !(cJSON_IsObject(kw) && cJSON_GetArraySize(kw) == 0)) {
				bad(b, name, "the layer is called with arguments (kwargs '%.60s'); kanx "
				    "supports plain calls only", kw->child && kw->child->string ?
				    kw->child->string : "?");
				return -1;
			}
		}
		last = jstr(lo, "name");
		prev = lo;
	}
	in = io_layer(cJSON_GetObjectItemCaseSensitive(cfg, "input_layers"));
	out = io_layer(cJSON_GetObjectItemCaseSensitive(cfg, "output_layers"));
	if (!in || !out) {
		kx_err_add(b->e, KX_EXIT_BADMODEL, "%s: the Functional model must name one input and one "
		           "output, each as [layer, 0, 0] in input_layers and output_layers", b->label);
		b->bad = 1;
		return -1;
	}
	if (!first || strcmp(in, first) != 0) {
		kx_err_add(b->e, KX_EXIT_BADMODEL, "%s: input_layers names layer '%.100s', not the "
		           "InputLayer '%.100s' the chain starts from", b->label, in, first ? first : "?");
		b->bad = 1;
		return -1;
	}
	if (!last || strcmp(out, last) != 0) {
		cJSON_ArrayForEach(lo, layers)
			if (jstr(lo, "name") && strcmp(jstr(lo, "name"), out) == 0)
				break;
		kx_err_add(b->e, KX_EXIT_BADMODEL, "%s: output_layers names layer '%.100s', %s '%.100s'; "
		           "kanx runs the whole chain, so it refuses a model whose output is elsewhere",
		           b->label, out, lo ? "an inner layer of the chain, not its last layer" :
		           "which is not in the model; the chain ends at", last ? last : "?");
		b->bad = 1;
		return -1;
	}
	return 0;
}

static int
parse_kan(struct builder *b, const cJSON *cfg)
{
	const cJSON *layers = cJSON_GetObjectItemCaseSensitive(cfg, "layers"), *v;
	struct kx_parse_ctx ctx;
	struct kx_layer dflt;
	enum kx_dtype dt;
	unsigned char implicit, implicit_l;
	size_t n, i;

	(void)implicit;

	memset(&dflt, 0, sizeof dflt);
	dflt.cfg_G = 5;
	dflt.cfg_k = 3;
	kx_act_lookup("silu", &dflt.act);
	dflt.cfg_lo = -1.0f;
	dflt.cfg_hi = 1.0f;
	/* the KAN's policy, and its KANLinear layers' where they name none */
	if (dtype_of(b, cfg, jstr(cfg, "name"), b->dtype, &dt, &implicit) != 0)
		return -1;
	ctx = parse_ctx(b, jstr(cfg, "name"), &dflt);
	kx_kan_params(&dflt, cfg, &dflt, &ctx);
	b->bad |= ctx.bad;
	if (ctx.bad)
		return -1;
	b->m->cfg_grid_size = dflt.cfg_G;
	b->m->cfg_spline_order = dflt.cfg_k;
	b->m->cfg_grid_range[0] = dflt.cfg_lo;
	b->m->cfg_grid_range[1] = dflt.cfg_hi;
	b->m->cfg_base_activation = strdup(kx_act_name(dflt.act));
	if (!cJSON_IsArray(layers) || (n = (size_t)cJSON_GetArraySize(layers)) < 1) {
		bad(b, jstr(cfg, "name"), "KAN 'layers' must be a list of widths or layer dicts");
		return -1;
	}
	v = cJSON_GetArrayItem(layers, 0);
	if (cJSON_IsNumber(v)) {
		size_t prev = 0, w;
		if (n < 2) {
			bad(b, jstr(cfg, "name"), "KAN width list needs at least 2 entries");
			return -1;
		}
		for (i = 0; i < n; i++) {
			v = cJSON_GetArrayItem(layers, (int)i);
			if (kx_json_size(v, 1, b->lim->max_width, &w) != 0) {
				bad(b, jstr(cfg, "name"), "KAN widths must be integers from 1 to %zu", b->lim->max_width);
				return -1;
			}
			if (i > 0) {
				struct kx_layer *l = new_layer(b, &kx_layer_kan, kx_layer_kan.kind, NULL);
				if (!l)
					return -1;
				l->in = prev;
				l->out = w;
				l->dtype = (unsigned char)dt;
				l->dtype_implicit = 1;  /* KAN builds them under the global policy */
				kx_kan_params(l, NULL, &dflt, &ctx);  /* the model-wide settings */
			}
			prev = w;
		}
		return 0;
	}
	cJSON_ArrayForEach(v, layers) {
		struct kx_layer *l;
		enum kx_dtype dt_l;
		if (!cJSON_IsObject(v)) {
			bad(b, jstr(cfg, "name"), "KAN layer specs must all be widths or all be dicts");
			return -1;
		}
		if (!(l = new_layer(b, &kx_layer_kan, kx_layer_kan.kind, NULL)))
			return -1;
		ctx = parse_ctx(b, l->name, &dflt);
		if (dtype_of(b, v, l->name, dt, &dt_l, &implicit_l) != 0)
			return -1;
		l->dtype = (unsigned char)dt_l;
		l->dtype_implicit = implicit_l;
		kx_layer_kan.parse(l, v, &ctx);
		b->bad |= ctx.bad;
	}
	return 0;
}

/* Bytes of float32 weights layer l will hold: the tensors its row of the
 * layer table expects. -1 on overflow. */
static int
layer_weight_bytes(const struct kx_layer *l, size_t *bytes)
{
	struct kx_tensor t[KX_MAX_TENSORS];
	size_t n = 0, nt = l->ops->tensors ? l->ops->tensors(l, t) : 0, i, p;
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

int
kx_spec_widths(struct kx_model *m, const char *label, struct kx_err *e)
{
	size_t *node_w, in_w[KX_MAX_INPUTS], i, j;
	char msg[300];
	int rc = 0;

	if (!(node_w = kx_mallocarray(m->n_layers + 1, sizeof *node_w)))
		return kx_err_set(e, KX_EXIT_INTERNAL, "%s: out of memory", label);
	node_w[0] = m->in;
	for (i = 0; i < m->n_layers; i++) {
		struct kx_layer *l = &m->layers[i];
		for (j = 0; j < l->n_inputs && j < KX_MAX_INPUTS; j++) {
			in_w[j] = node_w[l->inputs[j]];
			if (in_w[j] == 0) {
				kx_err_add(e, KX_EXIT_BADMODEL, "%s: layer '%s': the input width is unknown",
				           label, l->name);
				free(node_w);
				return -1;
			}
		}
		if (l->ops->shape(l, in_w, j, msg, sizeof msg) != 0) {
			kx_err_add(e, KX_EXIT_BADMODEL, "%s: layer '%s': %s", label, l->name, msg);
			rc = -1;
		}
		node_w[i + 1] = l->out;
	}
	free(node_w);
	return rc;
}

int
kx_spec_parse(struct kx_model *m, const char *label, const char *json, size_t len,
              const struct kx_limits *lim, struct kx_err *e)
{
	struct builder *b;
	const cJSON *cfg, *layers, *lo;
	const char *cls, *v;
	cJSON *root;
	int custom, rc = -1;
	size_t i, w;

	root = parse_json(label, json, len, lim, e);
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

	cfg = cJSON_GetObjectItemCaseSensitive(root, "config");
	cls = cJSON_IsObject(root) ? layer_class(root, &custom) : NULL;
	if (!cls || !cJSON_IsObject(cfg)) {
		kx_err_set(e, KX_EXIT_BADMODEL, "%s: not a Keras model config (no class_name/config)", label);
		goto out;
	}
	{
		char path[256] = "";
		if (scan_value(root, path, 0, sizeof path, label, e) != 0)
			goto out;
	}
	m->class_name = strdup(custom && strchr(cls, '>') ? strchr(cls, '>') + 1 : cls);
	m->registered_name = custom && strchr(cls, '>') ? strdup(cls) : NULL;
	if ((v = jstr(cfg, "name")))
		m->name = strdup(v);
	/* the model's own policy: its layers' where they name none */
	if (dtype_of(b, cfg, jstr(cfg, "name"), KX_DT_FLOAT32, &b->dtype, &b->dtype_implicit) != 0)
		goto out;
	m->dtype = (unsigned char)b->dtype;
	m->in_dtype = (unsigned char)b->dtype;
	m->compiled = cJSON_IsObject(cJSON_GetObjectItemCaseSensitive(root, "compile_config")) &&
	              cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(root, "compile_config")) > 0;

	{	/* input width from build_config, when given */
		const cJSON *bc = cJSON_GetObjectItemCaseSensitive(root, "build_config");
		const cJSON *is = bc ? cJSON_GetObjectItemCaseSensitive(bc, "input_shape") : NULL;
		if (is && !cJSON_IsNull(is) && kx_json_shape_last(is, lim, &w) == 0)
			m->in = w;
	}

	if (custom && strcmp(cls, "kanx>KAN") == 0) {
		parse_kan(b, cfg);
	} else if (!custom ? (strcmp(cls, "Sequential") == 0) : 0) {
		layers = cJSON_GetObjectItemCaseSensitive(cfg, "layers");
		if (!cJSON_IsArray(layers)) {
			kx_err_set(e, KX_EXIT_BADMODEL, "%s: Sequential config without a layer list", label);
			goto out;
		}
		cJSON_ArrayForEach(lo, layers)
			add_layer(b, lo, &(struct kx_layer){ .cfg_G = 5, .cfg_k = 3, .act = { .kind = KX_ACT_SILU },
			                                     .cfg_lo = -1.0f, .cfg_hi = 1.0f });
	} else if (strcmp(cls, "Functional") == 0 ||
	           (!custom && (strcmp(cls, "Model") == 0))) {
		layers = cJSON_GetObjectItemCaseSensitive(cfg, "layers");
		if (!cJSON_IsArray(layers)) {
			kx_err_set(e, KX_EXIT_BADMODEL, "%s: Functional config without a layer list", label);
			goto out;
		}
		if (check_chain(b, cfg, layers) == 0) {
			/* Functional models number weights over all their layers,
			 * InputLayer included (layers/input_layer). */
			char snake[KX_MAX_NAME];
			cJSON_ArrayForEach(lo, layers) {
				const char *c = layer_class(lo, &custom);
				if (c && !custom && strcmp(c, "InputLayer") == 0) {
					kx_snake_case("InputLayer", snake, sizeof snake);
					for (i = 0; i < b->n_used; i++)
						if (strcmp(b->used[i], snake) == 0)
							break;
					if (i == b->n_used && i < 64) {
						strcpy(b->used[i], snake);
						b->n_used++;
					} else if (i < 64) {
						b->used_n[i]++;
					}
				}
				add_layer(b, lo, &(struct kx_layer){ .cfg_G = 5, .cfg_k = 3, .act = { .kind = KX_ACT_SILU },
				                                     .cfg_lo = -1.0f, .cfg_hi = 1.0f });
			}
		}
	} else {
		kx_err_set(e, KX_EXIT_BADMODEL, "%s: unsupported model class '%.100s' "
		           "(supported: kanx>KAN, Sequential, Functional)", label, cls);
		goto out;
	}
	if (b->bad)
		goto out;
	if (m->n_layers == 0) {
		kx_err_set(e, KX_EXIT_BADMODEL, "%s: the model has no layers", label);
		goto out;
	}
	/* A chain: each layer reads the node before it (0: the model input). */
	for (i = 0; i < m->n_layers; i++) {
		struct kx_layer *l = &m->layers[i];
		if (!(l->inputs = malloc(sizeof *l->inputs))) {
			kx_err_set(e, KX_EXIT_INTERNAL, "%s: out of memory", label);
			goto out;
		}
		l->inputs[0] = i;
		l->n_inputs = 1;
	}
	/* The widths, node by node, each layer's from those of its inputs. */
	if (m->in == 0)
		m->in = m->layers[0].in;
	if (kx_spec_widths(m, label, e) != 0)
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
	m->out = m->layers[m->n_layers - 1].out;
	rc = 0;
out:
	free(b);
	cJSON_Delete(root);
	return rc;
}
