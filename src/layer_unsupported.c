/* layer_unsupported.c - the placeholder for a layer of a class kanx does
 * not know, in a model kanx inspect describes (kx_model_load_describe).
 * Not a row of kx_layer_table: no class matches it, and it has no hook,
 * so nothing parses, shapes, loads or runs it. spec.c sets its widths
 * from what the config declares; weights.c counts the elements of the
 * weights the file holds under its group (file_params), reading shapes,
 * never values. */
#include "layer.h"

static const char *const no_classes[] = { NULL };

const struct kx_layer_ops kx_layer_unsupported = {
	.kind = "unsupported",
	.classes = no_classes,
	.placeholder = 1,
};
