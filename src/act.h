/* act.h - Keras activations in float32 (and float64), with their parameters.
 *
 * An activation is a kind and the parameters Keras calls it with: the
 * defaults of keras.activations.NAME for a name, or those of the layer
 * object (ReLU, LeakyReLU, ELU, Softmax, Activation) a config serialized
 * in its place. kx_act_parse reads either form from a config; everything
 * else here computes one. */
#ifndef KX_ACT_H
#define KX_ACT_H

#include <stddef.h>

struct cJSON;

enum kx_act_kind {
	KX_ACT_LINEAR, KX_ACT_SILU, KX_ACT_RELU, KX_ACT_GELU, KX_ACT_TANH,
	KX_ACT_SIGMOID, KX_ACT_SOFTPLUS, KX_ACT_SOFTSIGN, KX_ACT_ELU, KX_ACT_SELU,
	KX_ACT_MISH, KX_ACT_LEAKY_RELU, KX_ACT_RELU6, KX_ACT_HARD_SIGMOID,
	KX_ACT_HARD_SILU, KX_ACT_EXPONENTIAL, KX_ACT_CELU, KX_ACT_HARD_SHRINK,
	KX_ACT_HARD_TANH, KX_ACT_LOG_SIGMOID, KX_ACT_SOFT_SHRINK, KX_ACT_SPARSE_PLUS,
	KX_ACT_SPARSE_SIGMOID, KX_ACT_SQUAREPLUS, KX_ACT_TANH_SHRINK,
	/* row-wise: each output depends on the whole row */
	KX_ACT_SOFTMAX, KX_ACT_LOG_SOFTMAX, KX_ACT_SPARSEMAX,
	KX_ACT_GLU            /* row-wise, and halves the width */
};

struct kx_act {
	enum kx_act_kind kind;
	float slope;          /* relu, leaky_relu: negative_slope */
	float alpha;          /* elu, celu: alpha; squareplus: b; hard_shrink, soft_shrink: threshold */
	float max_value;      /* relu: max_value, when has_max */
	float threshold;      /* relu: threshold */
	unsigned char has_max;      /* relu: max_value is set */
	unsigned char approximate;  /* gelu: the tanh approximation (keras.ops.gelu) */
	unsigned char mul_threshold;/* relu: x * (x > threshold), as Keras before 3.15 computes
	                             * it (-0 below the threshold, NaN for -inf) */
};

/* The activation Keras calls for NAME ("silu", "swish", "relu", ...) with
 * its default parameters. Returns 0, or -1 for a name that is not a Keras
 * activation or that Keras cannot call by name ("threshold"). */
int kx_act_lookup(const char *name, struct kx_act *out);

/* An activation as a Keras config stores it: NULL or null (linear), a
 * name, {"class_name": "function", "config": NAME, ...}, or a serialized
 * layer object {"module": "keras.layers", "class_name": "ReLU" |
 * "LeakyReLU" | "ELU" | "Softmax" | "Activation", "config": {...}}.
 * keras_version (metadata.json's, or NULL) picks the definitions that
 * changed between versions. Returns 0, or -1 with a lowercase reason in
 * why (no position: the caller names the layer and key). */
int kx_act_parse(const struct cJSON *v, const char *keras_version, struct kx_act *out,
                 char *why, size_t whylen);

/* The activation a Keras activation layer computes: class cls ("ReLU",
 * "LeakyReLU", "ELU", "Softmax", "Activation") with its config object,
 * as kx_act_parse reads a serialized one. */
int kx_act_parse_class(const char *cls, const struct cJSON *cfg, const char *keras_version,
                       struct kx_act *out, char *why, size_t whylen);

/* A Keras version string ("3.8.0") as major * 1000 + minor (3008), or -1
 * when v is NULL or not one: what picks the definitions that changed. */
long kx_keras_version(const char *v);

/* Canonical name of an activation's kind ("silu" for swish). */
const char *kx_act_name(struct kx_act a);

/* The name with the parameters that differ from the name's defaults,
 * as "relu(max_value=3, threshold=0.5)"; NUL-terminated in buf. */
void kx_act_format(struct kx_act a, char *buf, size_t len);

/* 1 if a and b compute the same function. */
int kx_act_equal(struct kx_act a, struct kx_act b);

/* 1 if the activation is row-wise (softmax, log_softmax, sparsemax, glu). */
int kx_act_is_rowwise(struct kx_act a);

/* The output width for a row of width in: in, or in / 2 for glu. -1 when
 * glu's in is odd (Keras raises). */
int kx_act_width(struct kx_act a, size_t in, size_t *out);

/* Apply an elementwise activation: y[i] = act(x[i]) for i < n; x may
 * equal y. A row-wise activation copies x (use kx_act_apply_rows). */
void kx_act_apply(struct kx_act a, const float *x, float *y, size_t n);

/* Apply any activation to n rows x of width w; the output rows y are
 * packed at kx_act_width(a, w) (glu: n * w / 2 floats). x may equal y;
 * otherwise they must not overlap. */
void kx_act_apply_rows(struct kx_act a, const float *x, float *y, size_t n, size_t w);

/* kx_act_apply_rows in double precision: each activation Keras's way on
 * float64 operands (a layer under the float64 dtype policy). */
void kx_act_apply_rows64(struct kx_act a, const double *x, double *y, size_t n, size_t w);

/* The vectorisable exp used by silu (exposed for the unit tests). */
float kx_act_expf(float x);

/* The i-th entry of the table of names kanx accepts (aliases included),
 * or NULL past the end (for the docs test and --help listings). */
const char *kx_act_table_name(size_t i);

#endif
