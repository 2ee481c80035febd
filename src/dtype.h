/* dtype.h - Keras dtype policies: what a layer stores and computes in.
 *
 * A Keras 3 layer carries a dtype policy (config "dtype": a name, or a
 * serialized DTypePolicy / FloatDTypePolicy object; absent: the policy of
 * the model around it). The policy fixes the dtype of the layer's
 * variables and the dtype it computes in; Layer.__call__ casts each
 * floating-point input to the compute dtype, and a Functional model
 * (Sequential too) casts its input to the InputLayer's dtype.
 *
 * kanx computes float32 and float64 policies as Keras does (float64 on
 * the double-precision reference path, model.c), and the reduced ones
 * (float16, bfloat16, mixed_*) in float32, with a note of how far that
 * can be from Keras's reduced-precision results (kx_dtype_note). */
#ifndef KX_DTYPE_H
#define KX_DTYPE_H

#include <stddef.h>
#include <cjson/cJSON.h>

enum kx_dtype {
	KX_DT_FLOAT32 = 0,     /* the default */
	KX_DT_FLOAT64,
	KX_DT_FLOAT16,
	KX_DT_BFLOAT16,
	KX_DT_MIXED_FLOAT16,   /* float32 variables, float16 compute */
	KX_DT_MIXED_BFLOAT16   /* float32 variables, bfloat16 compute */
};

struct kx_model;

/* The policy config value d names (a string, or {"class_name":
 * "DTypePolicy" | "FloatDTypePolicy", "config": {"name": NAME}}); absent
 * or null: dflt. 0, or -1 with *name set to what it names ("?" when it
 * names nothing readable) for a policy kanx does not know. */
int kx_dtype_parse(const cJSON *d, enum kx_dtype dflt, enum kx_dtype *out, const char **name);

/* The policy's name as Keras writes it ("mixed_float16"). */
const char *kx_dtype_name(enum kx_dtype dt);

/* 1 if a layer of this policy computes in float64. */
int kx_dtype_is64(enum kx_dtype dt);

/* Its variables' dtype, as the policy keeps them: KX_DT_FLOAT32,
 * KX_DT_FLOAT64, KX_DT_FLOAT16 or KX_DT_BFLOAT16. */
enum kx_dtype kx_dtype_variable(enum kx_dtype dt);

/* Significant bits of the compute dtype where it is reduced (float16 11,
 * bfloat16 8), else 0. */
int kx_dtype_reduced_bits(enum kx_dtype dt);

/* Is v exactly a value of the variable dtype vt (NaN and infinities
 * count as exact)? */
int kx_dtype_exact(double v, enum kx_dtype vt);

/* When Keras computes some of m in reduced precision (a layer's or the
 * InputLayer's policy is float16, bfloat16 or mixed_*): the one-line note
 * (no "kanx: " prefix) of what kanx does instead and how far apart the
 * results can be, in buf; returns buf. Else NULL. */
const char *kx_dtype_note(const struct kx_model *m, char *buf, size_t size);

/* The bound the note states on |kanx - keras|, as a factor of 1 + |y|:
 * 0 when Keras computes nothing in reduced precision. */
double kx_dtype_reduced_bound(const struct kx_model *m);

#endif
