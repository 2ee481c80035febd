/* spec.h - config.json and metadata.json of a .keras archive -> the layer
 * list of a struct kx_model (shapes, activations, weight paths), before any
 * weight is read. Only the supported classes are accepted, matched by
 * registered_name / class_name (never by module); nothing named in the
 * config is imported, opened or followed. */
#ifndef KX_SPEC_H
#define KX_SPEC_H

#include <stddef.h>
#include "err.h"
#include "kxlimits.h"
#include "model.h"

/* Parse config.json (json[len], NUL-terminated) into m->layers, m->in,
 * m->out and the model-level fields. LABEL prefixes messages ("FILE:config.json").
 * On failure returns -1 with e naming every offending layer (KX_EXIT_BADMODEL). */
int kx_spec_parse(struct kx_model *m, const char *label, const char *json, size_t len,
                  const struct kx_limits *lim, struct kx_err *e);

/* Set every layer's in and out from the widths of the nodes it reads
 * (m->in for node 0), in order, through its row's shape hook. -1 with e
 * naming each layer whose widths do not fit its config. */
int kx_spec_widths(struct kx_model *m, const char *label, struct kx_err *e);

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

/* Parse metadata.json for keras_version and date_saved (both optional). */
int kx_spec_metadata(struct kx_model *m, const char *label, const char *json, size_t len,
                     const struct kx_limits *lim, struct kx_err *e);

/* Keras's to_snake_case of a class name ("KANLinear" -> "kan_linear").
 * Writes at most size bytes including the NUL. */
void kx_snake_case(const char *cls, char *out, size_t size);

/* Check the nesting depth of a JSON text without parsing it: 0 if at most
 * max_depth, -1 otherwise. */
int kx_json_depth_ok(const char *json, size_t len, size_t max_depth);

#endif
