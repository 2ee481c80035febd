/* cfgscan.h - what kanx refuses anywhere in a model's config.json.
 *
 * Keras writes a Python object as {"module", "class_name", "config",
 * "registered_name"}; a Python loader imports the module and may run
 * marshalled bytecode. kanx imports and runs nothing, and refuses,
 * anywhere in the config (a compile_config aside: training-only, never
 * used), what would make Python do so or reach outside the archive:
 * lambdas, functions from outside keras, modules other than keras.* and
 * kanx.*, registered names other than kanx's, values that name a URL or a
 * file. */
#ifndef KX_CFGSCAN_H
#define KX_CFGSCAN_H

#include <cjson/cJSON.h>

#include "err.h"

/* 0, or -1 with e set (exit 4) naming label and where in the config. */
int kx_cfg_scan(const cJSON *root, const char *label, struct kx_err *e);

#endif
