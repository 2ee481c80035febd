/* json.h - JSON text read strictly as Python's json module reads it.
 *
 * Keras reads config.json with json.loads(bytes); kanx parses it with
 * cJSON, which is laxer. Before cJSON sees a config, kx_json_strict checks
 * that the text is what Python reads, the same way, and refuses where the
 * two would differ: text that is not UTF-8, control characters, numbers
 * outside JSON's grammar ("01", "1.", "-.5"), data after the value,
 * "\u0000" and lone surrogates in strings (cJSON stops a string at NUL),
 * and duplicate keys in an object (Python keeps the last, cJSON the
 * first). */
#ifndef KX_JSON_H
#define KX_JSON_H

#include <stddef.h>
#include "text.h"  /* kx_text_pos: the line and column of an offset */

struct kx_json_fault {
	size_t off;          /* byte offset of the problem */
	char msg[256];       /* lowercase, no position */
};

/* Check json[len]. A leading UTF-8 byte order mark is allowed (Python
 * decodes bytes as utf-8-sig); *start is set past it. Objects and arrays
 * nested deeper than max_depth are refused. Returns 0, -1 with f filled,
 * or -2 when out of memory. */
int kx_json_strict(const char *json, size_t len, size_t max_depth, size_t *start,
                   struct kx_json_fault *f);

#endif
