/* layer.h - one table of layer kinds, in the manner of kann's kad_op_list.
 *
 * Every layer kind kanx runs (KANLinear, Dense, Activation, Dropout, the
 * InputLayer, ...) is one `struct kx_layer_ops` in a file of its own
 * (src/layer_*.c), listed once in kx_layer_table (layers.c). Spec parsing
 * (spec.c), weight loading (weights.c), the gate (check.c), the forward
 * pass (model.c), validate and inspect iterate the table and call these
 * hooks; none of them tests a layer's kind. Adding a kind is one new file
 * plus one row (docs/hacking.md).
 *
 * A model is a list of nodes in topological order (struct kx_model's
 * layers); node j + 1 is the output of layers[j], node 0 the model's
 * input. Each layer names the nodes it reads (inputs[0 .. n_inputs)): a
 * chain is inputs = { j } for layers[j], a merge layer (Add, Concatenate)
 * reads several. Every hook that computes takes an array of inputs. */
#ifndef KX_LAYER_H
#define KX_LAYER_H

#include <stddef.h>
#include <cjson/cJSON.h>

#include "act.h"
#include "err.h"
#include "kxlimits.h"
#include "kernel.h"

struct kx_layer;
struct kx_model;
struct kx_chk;

/* What a layer's config parser gets besides its own config; problems go
 * through kx_parse_bad (spec.c), which names the file and the layer. */
struct kx_parse_ctx {
	const char *label;              /* "FILE:config.json", for messages */
	const char *lname;              /* the layer's config name, or NULL */
	const struct kx_limits *lim;
	const struct kx_layer *kan_default; /* KAN settings a layer falls back to (kanx>KAN) */
	struct kx_err *e;
	int bad;                        /* set by kx_parse_bad */
	const char *keras_version;      /* metadata.json's, or NULL: what changed between versions */
};

/* Record a problem of the layer being parsed: "LABEL: layer 'NAME': MSG". */
void kx_parse_bad(struct kx_parse_ctx *ctx, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Config helpers (jsonconf.c): a whole number within [lo, hi]; the last
 * dimension of a shape [null, n] within the width limit. 0 or -1. */
int kx_json_size(const cJSON *v, size_t lo, size_t hi, size_t *out);
int kx_json_shape_last(const cJSON *shape, const struct kx_limits *lim, size_t *out);

/* The activation cfg[key] holds (a name, a serialized function or layer
 * object: kx_act_parse), or dflt when absent or null ("linear" when that
 * is NULL too), into *out; kan: a KANLinear base activation, which must
 * keep the width (not glu). -1 after kx_parse_bad. */
int kx_layer_act(struct kx_parse_ctx *ctx, const cJSON *cfg, const char *key, const char *dflt,
                 int kan, struct kx_act *out);

/* A weight tensor a layer expects at vars/INDEX of its HDF5 group. */
#define KX_MAX_RANK 3
struct kx_tensor {
	const char *name;               /* "kernel", "spline_weight", ... */
	int rank;                       /* 0 (a scalar) .. KX_MAX_RANK */
	size_t dims[KX_MAX_RANK];       /* the shape the config implies */
	float **dst;                    /* the layer's field the values go to */
	int integer;                    /* an integer variable (Normalization's count), read
	                                 * as float32; else the dataset must be floats */
};
/* KX_MAX_TENSORS (kxlimits.h): the most weight tensors a layer has */
/* inputs of one layer (a merge layer's) */
#define KX_MAX_INPUTS 64

/* What inspect shows of a layer: the columns of its table and the keys of
 * its JSON. Zero/NULL members are shown as "-" (null in JSON). */
struct kx_layer_desc {
	size_t grid_size, spline_order; /* 0: none */
	const char *activation;         /* NULL: none; kx_layer_desc_act sets it to act_buf */
	char act_buf[160];
	int has_grid;                   /* KAN: grid_range, uniform, knot_deviation */
	float grid_lo, grid_hi;
	const char *uniform;            /* "yes", "near", "no" */
	int closed;                     /* JSON "uniform" */
	double knot_dev;
	char summary[160];              /* a one-line summary, "" if none */
};

struct kx_layer_ops {
	const char *kind;               /* "KANLinear", "Dense", ...: docs and messages */
	/* The config classes it accepts: class_name of a built-in Keras layer,
	 * or, with custom set, the registered_name of a kanx layer. */
	const char *const *classes;
	int custom;
	/* 1: the model's input, not a node (InputLayer) */
	int is_input;
	/* 1: a placeholder for a layer of a class kanx does not know
	 * (kx_layer_unsupported, never in the table): inspect describes it,
	 * nothing runs it */
	int placeholder;

	/* Read the layer's config (cfg: its "config" object; l->name,
	 * class_name and h5_group are set). Each problem goes to kx_parse_bad;
	 * returns -1 if there was one. */
	int (*parse)(struct kx_layer *l, const cJSON *cfg, struct kx_parse_ctx *ctx);
	/* Set l->in and l->out from the widths of its inputs (in_w[0 ..
	 * n_in)). -1 with a message when they do not fit the config. */
	int (*shape)(struct kx_layer *l, const size_t *in_w, size_t n_in, char *msg, size_t size);
	/* The weights the layer expects, in vars order, with the shapes its
	 * config implies (l->in and l->out are set). Returns how many (at
	 * most KX_MAX_TENSORS); NULL: none. */
	size_t (*tensors)(const struct kx_layer *l, struct kx_tensor *t);
	/* Optional: check the shapes the file holds (dims[j] of tensor j)
	 * before anything is read, where the config does not fix them all (a
	 * KAN's G and k): -1 with a message ("vars/1 (...) has shape ...").
	 * NULL: each must equal its kx_tensor dims. */
	int (*shapes)(const struct kx_layer *l, const size_t dims[][KX_MAX_RANK],
	              const struct kx_limits *lim, char *msg, size_t size);
	/* Optional: the reader's check of values just read (a KAN grid whose
	 * extension overflows): -1 with where and a message. */
	int (*loaded)(const struct kx_layer *l, char *where, size_t wsize, char *msg, size_t size);
	/* Optional: derive from the weights what the reference needs
	 * (extended grids); -1 on allocation failure. Called again after the
	 * weights change (tests); must free what an earlier call derived. */
	int (*prepare)(struct kx_layer *l);
	/* Optional: the gate's checks beyond "every weight is finite", which
	 * kx_model_check runs for every tensor (check.h). */
	void (*check)(const struct kx_layer *l, struct kx_chk *c);
	/* The reference forward pass, float32: y (n, l->out) from the inputs
	 * x[j] (n, width of input j). */
	void (*forward)(const struct kx_layer *l, const float *const *x, size_t n, float *y);
	/* Optional: the layer as the kernels see it (kernel.h), for the fast
	 * kernels to run it (kernel.c prepares its weights for the chosen
	 * one; the panel kernels run chains of such layers whole). Returns
	 * 0; NULL or -1: only the reference forward runs it, between the
	 * runs of layers the kernel computes (model.c's plan). */
	int (*kop)(const struct kx_layer *l, struct kx_kop *op);
	/* The same in double precision, for a layer under the float64 policy
	 * (its weights in l->w64). NULL: the kind is refused under float64. */
	void (*forward64)(const struct kx_layer *l, const double *const *x, size_t n, double *y);
	/* Trainable parameters, as Keras counts them (the layer not frozen;
	 * the rest of its tensors are non-trainable). NULL: 0. */
	size_t (*params)(const struct kx_layer *l);
	/* Optional: parameters Keras creates when it loads the layer that the
	 * file does not hold (a LoRA Dense's adapters), in its total. */
	size_t (*loaded_params)(const struct kx_layer *l);
	/* What inspect shows. NULL: nothing beyond name, class and widths. */
	void (*describe)(const struct kx_layer *l, struct kx_layer_desc *d);
	/* Optional: the layer's extra keys in inspect --json. */
	void (*describe_json)(const struct kx_layer *l, cJSON *o);
	/* Free what parse and prepare allocated (the weights in l's fields
	 * are freed by model.c). NULL: nothing. */
	void (*free)(struct kx_layer *l);
};

/* The table, NULL-terminated (layers.c). */
extern const struct kx_layer_ops *const kx_layer_table[];

/* The row of a layer whose class kanx does not know, in a model that
 * inspect describes (layer_unsupported.c): only kind and placeholder set,
 * no hook (nothing parses, shapes, loads or runs it). */
extern const struct kx_layer_ops kx_layer_unsupported;

/* The row accepting class CLS (custom: a registered_name), or NULL. */
const struct kx_layer_ops *kx_layer_find(const char *cls, int custom);

/* A shape hook for layers of one input whose output is as wide. */
int kx_layer_shape_same(struct kx_layer *l, const size_t *in_w, size_t n_in, char *msg, size_t size);

/* The hooks of a layer that is its activation l->act (layer_activation.c:
 * Activation, and the activation layer classes of layer_act_classes.c):
 * the width (halved by glu), y = act(x) as the kernels see it, and
 * inspect's column. */
int kx_layer_act_shape(struct kx_layer *l, const size_t *in_w, size_t n_in, char *msg, size_t size);
int kx_layer_act_kop(const struct kx_layer *l, struct kx_kop *op);
void kx_layer_act_describe(const struct kx_layer *l, struct kx_layer_desc *d);
void kx_layer_act_forward64(const struct kx_layer *l, const double *const *x, size_t n, double *y);

/* The forward64 hook of a layer that is the identity at inference. */
void kx_layer_copy64(const struct kx_layer *l, const double *const *x, size_t n, double *y);

/* What layer l is to the kernels (its row's kop hook) into *op: 0, or
 * -1 when the row has no kernel form. */
int kx_layer_kop(const struct kx_layer *l, struct kx_kop *op);

/* The kop hook of a layer that is the identity at inference (Dropout,
 * layer_identity.c's classes; layers.c). */
int kx_layer_identity_kop(const struct kx_layer *l, struct kx_kop *op);

/* A forward hook for a row whose kop hook says all: the reference kernel
 * (kernel_ref.c) on what kop gives, one input (layers.c). */
void kx_layer_forward_kop(const struct kx_layer *l, const float *const *x, size_t n, float *y);

/* A layer's own state: size zeroed bytes at l->priv (NULL after
 * kx_parse_bad when out of memory), its activation linear. The free hook
 * of a layer whose state holds only the arrays its tensors hook names:
 * those, then l->priv. */
void *kx_layer_priv(struct kx_layer *l, size_t size, struct kx_parse_ctx *ctx);
void kx_layer_free_priv(struct kx_layer *l);

/* Config helpers for the layers' parse hooks (layers.c); each problem
 * goes to kx_parse_bad. cfg[key] absent or the features axis (-1, 1,
 * [-1], [1]): 0, else -1. A boolean (dflt when absent). A finite number
 * (dflt when absent): 0 or -1. */
int kx_layer_last_axis(struct kx_parse_ctx *ctx, const cJSON *cfg, const char *key);
int kx_layer_bool(struct kx_parse_ctx *ctx, const cJSON *cfg, const char *key, int dflt);
int kx_layer_float(struct kx_parse_ctx *ctx, const cJSON *cfg, const char *key, float dflt,
                   float *out);

/* A config value that holds numbers for the features: a number, a list of
 * numbers, a list holding one such list (an array of shape (1, n)), or one
 * of these as Keras serializes a NumPy array or a tensor ({"class_name":
 * "__numpy__" or "__tensor__", "config": {"value": ...}}; Keras 3 on the
 * NumPy backend writes "__tensor__" for a NumPy array). The number itself
 * (*n = 1) or the list of *n >= 1 numbers, or NULL if it is none of
 * these (layers.c). */
const cJSON *kx_layer_numbers(const cJSON *v, size_t *n);

/* cfg[key] as the config writes it (a layer under the float64 policy
 * computes with it unrounded), dflt when it is not a number: for a key
 * kx_layer_float has checked. */
double kx_layer_double(const cJSON *cfg, const char *key, double dflt);

/* The float64 values of the weight whose float copy is *field (the dst
 * of one of l's tensors), or NULL when l has no such tensor. */
const double *kx_layer_w64(const struct kx_layer *l, float *const *field);
/* Merge layers (layer_add.c, ..., layer_concatenate.c), whose state is
 * the widths of their inputs. parse: that state. shape: Keras's
 * elementwise rule (equal widths, or 1, broadcast). fold: y = op(...op(
 * op(x0, x1), x2)..., xn) elementwise, in input order as Keras folds
 * them, then (mean) divided by n in float32. concat_shape and concat: the
 * inputs side by side (the last axis). */
int kx_merge_parse(struct kx_layer *l, const cJSON *cfg, struct kx_parse_ctx *ctx);
int kx_merge_shape(struct kx_layer *l, const size_t *in_w, size_t n_in, char *msg, size_t size);
void kx_merge_fold(const struct kx_layer *l, const float *const *x, size_t n, float *y,
                   float (*op)(float, float), int mean);
void kx_merge_fold64(const struct kx_layer *l, const double *const *x, size_t n, double *y,
                     double (*op)(double, double), int mean);
int kx_merge_concat_shape(struct kx_layer *l, const size_t *in_w, size_t n_in, char *msg,
                          size_t size);
void kx_merge_concat(const struct kx_layer *l, const float *const *x, size_t n, float *y);
void kx_merge_concat64(const struct kx_layer *l, const double *const *x, size_t n, double *y);

/* The row VAR of an elementwise merge layer of class CLS: the fold of
 * OP, in double OP64 (mean: divided by the number of inputs), shaped by
 * SHAPE. */
#define KX_MERGE_LAYER(var, cls, op, op64, shape_fn, mean)                            \
	static void                                                                   \
	var##_forward(const struct kx_layer *l, const float *const *x, size_t n, float *y) \
	{                                                                             \
		kx_merge_fold(l, x, n, y, op, mean);                                  \
	}                                                                             \
	static void                                                                   \
	var##_forward64(const struct kx_layer *l, const double *const *x, size_t n,   \
	                double *y)                                                    \
	{                                                                             \
		kx_merge_fold64(l, x, n, y, op64, mean);                              \
	}                                                                             \
	static const char *const var##_classes[] = { cls, NULL };                    \
	const struct kx_layer_ops var = {                                             \
		.kind = cls,                                                          \
		.classes = var##_classes,                                             \
		.parse = kx_merge_parse,                                              \
		.shape = shape_fn,                                                    \
		.forward = var##_forward,                                             \
		.forward64 = var##_forward64,                                         \
		.free = kx_layer_free_priv,                                           \
	}

/* d->activation: a with its parameters (kx_act_format), in d->act_buf. */
void kx_layer_desc_act(struct kx_layer_desc *d, struct kx_act a);

/* "(2, 3)": dims[0 .. rank) as messages show shapes. */
void kx_fmt_dims(char *buf, size_t size, const size_t *dims, int rank);

/* ---- the KAN row (layer_kan.c), for what is KAN-only by nature ---- */

extern const struct kx_layer_ops kx_layer_kan;

/* l if it is a KAN layer, else NULL: inspect's edge functions, validate's
 * comparison with a kanx config, the input range predict checks. */
const struct kx_layer *kx_layer_as_kan(const struct kx_layer *l);

/* A KAN layer's grid_size, spline_order, base_activation and grid_range
 * from obj, each falling back to dflt's (a kanx>KAN's model-wide
 * settings, or the kanx defaults). -1 after kx_parse_bad. */
int kx_kan_params(struct kx_layer *l, const cJSON *obj, const struct kx_layer *dflt,
                  struct kx_parse_ctx *ctx);

/* One KAN edge function phi(x) = act(x)*base_w[i][o] + sum_j
 * B_j(x)*spline_w[i][o][j] at x (inspect --edges); NaN when out of memory. */
float kx_kan_edge(const struct kx_layer *l, size_t i, size_t o, float x);

#endif
