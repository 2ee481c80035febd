/* act.h - Keras activations, elementwise in float32. */
#ifndef KX_ACT_H
#define KX_ACT_H

#include <stddef.h>

enum kx_act {
	KX_ACT_LINEAR, KX_ACT_SILU, KX_ACT_RELU, KX_ACT_GELU, KX_ACT_TANH,
	KX_ACT_SIGMOID, KX_ACT_SOFTPLUS, KX_ACT_SOFTSIGN, KX_ACT_ELU, KX_ACT_SELU,
	KX_ACT_MISH, KX_ACT_LEAKY_RELU, KX_ACT_RELU6, KX_ACT_HARD_SIGMOID,
	KX_ACT_HARD_SILU, KX_ACT_EXPONENTIAL,
	KX_ACT_SOFTMAX, KX_ACT_LOG_SOFTMAX  /* row-wise; Dense/Activation outputs only */
};

/* Look up a Keras activation name ("silu", "swish", "relu", ...). Returns 0
 * and stores the id, or -1 for an unknown name. */
int kx_act_lookup(const char *name, enum kx_act *out);

/* Canonical name of an activation. */
const char *kx_act_name(enum kx_act a);

/* 1 if the activation is row-wise (softmax, log_softmax). */
int kx_act_is_rowwise(enum kx_act a);

/* Apply elementwise: y[i] = act(x[i]) for i < n; x may equal y. */
void kx_act_apply(enum kx_act a, const float *x, float *y, size_t n);

/* The vectorisable exp used by silu (exposed for the unit tests). */
float kx_act_expf(float x);

/* Apply a row-wise activation to n rows of width w, in place. */
void kx_act_apply_rows(enum kx_act a, float *y, size_t n, size_t w);

#endif
