/* jsonconf.h - an archive's JSON member (config.json, metadata.json) as a
 * cJSON tree: within the size and depth limits, strict as Python's json
 * (json.h), no NUL byte. */
#ifndef KX_JSONCONF_H
#define KX_JSONCONF_H

#include <stddef.h>
#include <cjson/cJSON.h>

#include "err.h"
#include "kxlimits.h"

/* The tree of json[len]; NULL with e set (KX_EXIT_BADMODEL: "LABEL: ..."
 * or "LABEL:LINE:COL: ..."; KX_EXIT_INTERNAL out of memory). */
cJSON *kx_json_parse_member(const char *label, const char *json, size_t len,
                            const struct kx_limits *lim, struct kx_err *e);

#endif
