/* graphrefs.h - what a Functional model's config.json names its tensors
 * with: [layer name, node index, tensor index] triples, input_layers and
 * output_layers as Keras flattens them, and call kwargs kanx can ignore.
 * Pure readers of cJSON values: no model is touched. */
#ifndef KX_GRAPHREFS_H
#define KX_GRAPHREFS_H

#include <stddef.h>
#include <cjson/cJSON.h>

/* A triple's layer name, or NULL; *node and *idx: which call of the
 * layer and which of its outputs. */
const char *kx_tensor_ref(const cJSON *t, size_t *node, size_t *idx);

/* input_layers / output_layers (a triple, or a list or dict of them,
 * nested at most KX_MAX_NEST deep) in keras.tree.flatten's order, the
 * names into names[*n ..), at most max: 0, or -1 when v is none of these. */
int kx_io_refs(const cJSON *v, const char **names, size_t max, size_t *n, size_t depth);

/* NULL when a call's kwargs can be ignored (absent, all null, or
 * training=False), else the first key that is set. */
const char *kx_kwargs_set(const cJSON *kw);

#endif
