/* model.h - a loaded kanx/Keras model: layers, weights, and the forward pass.
 *
 * Loading is three steps below this header: kxzip.c (zip -> members),
 * spec.c (config.json -> layer specs), weights.c (model.weights.h5 ->
 * float arrays, checked against the specs before reading). What each
 * layer kind does at each step is its row of the layer table (layer.h). */
#ifndef KX_MODEL_H
#define KX_MODEL_H

#include <stddef.h>
#include <stdint.h>
#include "act.h"
#include "bspline.h"
#include "err.h"
#include "kxlimits.h"
#include "traincfg.h"

struct kx_layer_ops;

struct kx_layer {
	const struct kx_layer_ops *ops;  /* its kind: a row of the layer table (layer.h) */
	size_t *inputs;        /* the nodes it reads: 0 = the model input, j + 1 = layers[j] */
	size_t n_inputs;
	char *name;            /* the Keras layer name, or "kan_linear_N" inside a KAN */
	char *class_name;      /* "KANLinear", "Dense", ... as in the config */
	char *h5_group;        /* "layers/kan_linear_1" (weights path, without /vars) */
	size_t in, out;
	size_t node_off;       /* a graph: where its output starts in the nodes' buffer, in
	                        * floats a row (the outputs of the layers before it) */
	struct kx_act act;     /* KAN: base activation; Dense/Activation: activation */
	unsigned char dtype;   /* enum kx_dtype (dtype.h): its dtype policy */
	unsigned char dtype_implicit; /* its config names none: the model's, unless its
	                        * weights are float64 (built under the float64 global
	                        * policy: weights.c makes it float64) */
	double *w64[KX_MAX_TENSORS]; /* float64 policy: its weights as read, in the order of its
	                        * tensors hook (KX_MAX_TENSORS); the float fields hold
	                        * them rounded, for the checks and inspect */

	/* KAN */
	size_t G, k;           /* grid size and spline order, from the weight shapes */
	size_t cfg_G, cfg_k;   /* grid size and spline order as the config declares them */
	float cfg_lo, cfg_hi;  /* grid_range as the config declares it */
	int trainable_grid;    /* the config's trainable_grid: the grid counts as parameters */
	float *base_w;         /* (in, out) row-major, as stored */
	float *spline_w;       /* (in, out, G+k) row-major, as stored */
	float *grid;           /* (in, G+1), as stored */
	struct kx_knots kn;    /* the grid extended, and what the kernels derive from it */

	/* Dense */
	int use_bias;
	size_t units;          /* the kernel's width: out, or 2 * out when the activation
	                        * halves the width (glu; layer_dense.c) */
	size_t lora_rank;      /* lora_rank, 0 without: the kernel is frozen and the
	                        * adapters, merged into it in the file, are trainable */
	float *kernel;         /* (in, units) */
	float *bias;           /* (units) or NULL */

	unsigned char frozen;  /* trainable false in its config, or in the config of the
	                        * Functional model at the top (a nested model's flag Keras
	                        * does not apply to its layers when it loads the file): all
	                        * its weights are non-trainable */

	/* inspect of a model kanx cannot run (kx_model_load_describe) */
	unsigned char shapes_only; /* none of its weights read, only their shapes counted
	                        * (file_params): a placeholder for a class kanx does not know
	                        * (ops->placeholder), or a layer whose input width is unknown */
	size_t file_params;    /* shapes_only: the elements of every dataset the file holds
	                        * under its group */
	size_t *in_decl;       /* the width of each input its config declares (build_config;
	                        * a kanx>KAN's widths), 0 where none; NULL outside describe mode */

	void *priv;            /* a kind's own state (its layer_*.c allocates and frees it) */
	struct kx_prep *prep;  /* what the model's kernel made of the weights (kernel.h), or
	                        * NULL: the layer runs by its reference forward */
};

struct kx_model {
	char *path;                 /* as given */
	size_t file_size;
	unsigned char sha256[32];
	char *keras_version;        /* from metadata.json, or NULL */
	char *date_saved;           /* from metadata.json, or NULL */
	char *class_name;           /* "KAN", "Sequential", "Functional" */
	char *registered_name;      /* "kanx>KAN", or NULL */
	char *name;                 /* model name from config */
	size_t in, out;             /* model input and output widths */
	struct kx_layer *layers;
	size_t n_layers;
	/* The model's outputs, side by side in a prediction: nodes (0: the
	 * input, j + 1: layers[j]) and the names of the layers they come
	 * from. NULL/0 (kx_model_fresh): the last node. */
	size_t *outputs;
	size_t n_outputs;
	char **output_names;
	size_t n_unsupported;       /* kx_model_load_describe: layers of classes kanx does not
	                             * know, each a placeholder node (never run such a model) */
	int dag;                    /* 1: not a chain of layers each reading the one before,
	                             * with the last one the only output (a graph) */
	int has_optimizer;          /* an /optimizer group with variables is present */
	int compiled;               /* config has a non-empty compile_config */
	struct kx_train train;      /* what compile_config names (inspect only; never used) */
	/* For a kanx>KAN: the model-wide config (fallbacks for per-layer dicts). */
	size_t cfg_grid_size, cfg_spline_order;
	float cfg_grid_range[2];
	char *cfg_base_activation;
	size_t max_width;           /* widest layer (in or out), for buffers */
	unsigned char dtype;        /* enum kx_dtype: the model's own policy */
	unsigned char in_dtype;     /* enum kx_dtype: the InputLayer's */
	int f64;                    /* some layer computes in float64: the model runs on the
	                             * double-precision reference path (model.c) */
	int kernel;                 /* enum kx_kernel chosen when it was loaded */
	struct kx_plan *plan;       /* how the forward pass runs the layers (model.c) */
};

/* Load PATH ("-" = stdin) through the gate: what the reader refuses and
 * every error kx_model_check (check.h) finds. Returns NULL on failure with
 * e filled: KX_EXIT_NOMODEL (missing/unreadable; status 404) or
 * KX_EXIT_BADMODEL (invalid, unsupported, or not computed as Keras would;
 * the message names every offending layer and tensor, "; "-separated).
 * The caller owns the model: kx_model_free(). */
struct kx_model *kx_model_load(const char *path, const struct kx_limits *lim,
                               struct kx_err *e);

/* The same without kx_model_check, for kanx validate, which reports its
 * problems itself (and needs the model to check configs and batches
 * against). Never run a model loaded this way. */
struct kx_model *kx_model_load_unchecked(const char *path, const struct kx_limits *lim,
                                         struct kx_err *e);

/* The gate alone, on a model from kx_model_load_unchecked: 0, or -1 with
 * every error of kx_model_check joined into e (KX_EXIT_BADMODEL), the
 * message kx_model_load would refuse the model with. */
int kx_model_gate(const struct kx_model *m, struct kx_err *e);

/* For inspect: as kx_model_load_unchecked, except that a model refused
 * only for layers of classes kanx does not know is still returned, with a
 * placeholder node for each (m->n_unsupported > 0; their widths where the
 * config declares them, 0 where unknown, and the elements of the weights
 * the file holds under their groups, shapes read, never values) and e
 * holding the refusal, validate's words. Anything else wrong (bad JSON,
 * a layer's bad config, a corrupt HDF5 file, ...) is refused as
 * kx_model_load_unchecked refuses it. Never run such a model. */
struct kx_model *kx_model_load_describe(const char *path, const struct kx_limits *lim,
                                        struct kx_err *e);

/* Load from an in-memory .keras image (fuzzing, tests), through the gate. */
struct kx_model *kx_model_load_mem(const char *name, const void *buf, size_t len,
                                   const struct kx_limits *lim, struct kx_err *e);

/* Build a fresh, untrained KAN from widths and hyper-parameters
 * (Keras-style init: Glorot-uniform base weights, normal(0, 0.1) spline
 * weights, uniform grids over grid_range). seed 0 = from the clock. */
struct kx_model *kx_model_fresh(const size_t *widths, size_t n_widths, size_t G, size_t k,
                                struct kx_act act, float lo, float hi, uint64_t seed,
                                struct kx_err *e);

/* Free; accepts NULL. */
void kx_model_free(struct kx_model *m);

/* Derive what layer l's reference and m's kernel need from its weights
 * (extended grids, the closed-form bound, the kernel's layout), freeing
 * what an earlier call derived: after the weights or grid of l are
 * changed in place (tests). Returns -1 on allocation failure. */
int kx_layer_prepare(const struct kx_model *m, struct kx_layer *l);

/* Parameters as Keras counts them (model.summary()): total, every element
 * of the layer's weights; trainable, its row's params hook (KANLinear:
 * in*out*(G+k+1), plus in*(G+1) with a trainable grid), 0 for a frozen
 * layer; non-trainable, the rest (a KANLinear's grid, BatchNormalization's
 * moving statistics, an adapted Normalization's mean, variance and count).
 * KX_PARAMS_UNKNOWN where kanx cannot tell: a shapes_only layer's split
 * (its total is what the file holds) unless it is frozen. A model's
 * counts are the sums of the known ones. */
#define KX_PARAMS_UNKNOWN SIZE_MAX
struct kx_params {
	size_t trainable, non_trainable, total;
};
void kx_layer_param_counts(const struct kx_layer *l, struct kx_params *p);
void kx_model_param_counts(const struct kx_model *m, struct kx_params *p);

/* The trainable count of kx_layer_param_counts (0 where unknown), and the
 * model's sum. */
size_t kx_layer_params(const struct kx_layer *l);
size_t kx_model_params(const struct kx_model *m);

/* Working memory for kx_model_forward, reusable across calls. */
struct kx_work;

/* Allocate work space for batches of up to max_rows rows. NULL on failure. */
struct kx_work *kx_work_new(const struct kx_model *m, size_t max_rows);
void kx_work_free(struct kx_work *w);

/* Forward pass: x is (n, m->in) row-major, y is (n, m->out), with the
 * kernel the model was loaded for (m->kernel: the one kx_kernel_select
 * chose, or BLIS when a layer has no form the panel kernels run). n must
 * be <= the work's max_rows (else -1). One thread; a row's result depends
 * only on the row, so callers split batches over threads, each with a
 * work area of its own (cmd_predict.c). Returns 0. */
int kx_model_forward(const struct kx_model *m, struct kx_work *w,
                     const float *x, size_t n, float *y);

/* A float64 model (m->f64): the forward pass on double input x64 (when
 * not NULL, else x) into double outputs y64 (when not NULL, else y,
 * rounded to float32); see kx_forward64 (ref64.h). A model that is not
 * float64 takes x and y only (-1 otherwise). */
int kx_model_forward64(const struct kx_model *m, struct kx_work *w, const float *x,
                       const double *x64, size_t n, float *y, double *y64);

/* 1 if m's input dtype (its InputLayer's) is float64: its rows are read
 * into doubles (x64 above). */
int kx_model_in64(const struct kx_model *m);

/* How many of m's output columns are float64 (their output tensor is: the
 * layer that makes it computes in float64), and, when cols is not NULL,
 * cols[j] = 1 for each such column j (m->out of them), 0 for the others.
 * A model with any float64 column prints its outputs from doubles. */
size_t kx_model_out64(const struct kx_model *m, unsigned char *cols);

/* The same with the plain reference of every layer (kernel_ref.c: no BLIS,
 * no local de Boor). -1 on allocation failure. */
int kx_model_forward_ref(const struct kx_model *m, const float *x, size_t n, float *y);

/* The width of m's output i (< m->n_outputs; 0 for a model without an
 * output list: the last layer's). */
size_t kx_model_output_width(const struct kx_model *m, size_t i);

/* The names of m's output columns when it has several outputs: per
 * output layer NAME, NAME_0, NAME_1, ... (NAME alone for an output of
 * width 1), m->out of them, into *out (free with kx_names_free(*out,
 * m->out)). A model of one output: *out NULL (its columns stay y0, y1,
 * ...). 0, or -1 when memory runs out. */
int kx_model_column_names(const struct kx_model *m, char ***out);
void kx_names_free(char **v, size_t n);

#endif
