/* widths.h - every node's width, from the widths of the nodes it reads:
 * for a model kanx runs (kx_spec_widths), and for one inspect describes
 * though kanx cannot run it (kx_model_load_describe): what spec.c's
 * describe mode adds to each node, and the widths of a model holding
 * placeholder nodes for layers of classes kanx does not know. */
#ifndef KX_WIDTHS_H
#define KX_WIDTHS_H

#include <cjson/cJSON.h>

#include "err.h"
#include "kxlimits.h"
#include "model.h"

/* Set every layer's in and out from the widths of the nodes it reads
 * (m->in for node 0), in order, through its row's shape hook. -1 with e
 * naming each layer whose widths do not fit its config. */
int kx_spec_widths(struct kx_model *m, const char *label, struct kx_err *e);

/* Layer l, made from the entry lo of class cls: the widths of its inputs
 * its build_config declares (l->in_decl); a placeholder (l->ops is
 * kx_layer_unsupported) gets its class name and is counted in
 * m->n_unsupported. 0, or -1 when memory runs out. */
int kx_describe_entry(struct kx_model *m, struct kx_layer *l, const cJSON *lo, const char *cls,
                      const struct kx_limits *lim);

/* A kanx>KAN's layer l: its config's input width is the one it declares. */
int kx_describe_kan(struct kx_layer *l);

/* Every layer's in and out, as kx_spec_widths sets them, where a node's
 * width is unknown (after a placeholder) taken from what the layers that
 * read it declare: a placeholder's in is its input's width (or what it
 * declares), its out what the first layer reading it declares; a layer
 * whose input width stays unknown gets in = out = 0 and shapes_only (its
 * weights are counted, not read). 0 for unknown everywhere. -1 with e
 * naming each layer whose known widths do not fit its config. */
int kx_describe_widths(struct kx_model *m, const char *label, struct kx_err *e);

#endif
