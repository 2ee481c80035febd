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

/* The same for inspect of a model kanx cannot run: a layer of a class
 * kanx does not know becomes a placeholder node (kx_layer_unsupported,
 * shapes_only, m->n_unsupported counts them), each layer records the
 * widths its config declares (in_decl), and the widths are
 * kx_describe_widths's (widths.h). Every other problem is refused as kx_spec_parse
 * refuses it. */
int kx_spec_parse_describe(struct kx_model *m, const char *label, const char *json, size_t len,
                           const struct kx_limits *lim, struct kx_err *e);

/* Parse metadata.json for keras_version and date_saved (both optional). */
int kx_spec_metadata(struct kx_model *m, const char *label, const char *json, size_t len,
                     const struct kx_limits *lim, struct kx_err *e);


#endif
