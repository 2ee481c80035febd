/* jsonconf.c - the archive's JSON members (config.json, metadata.json) as
 * cJSON trees, read under the limits as Python's json reads them, and the
 * config helpers the layers' parse hooks share (layer.h). */
#include <cjson/cJSON.h>
#include <math.h>
#include <string.h>

#include "json.h"
#include "jsonconf.h"
#include "layer.h"

/* A non-negative integer-valued number within [lo, hi]. */
int
kx_json_size(const cJSON *v, size_t lo, size_t hi, size_t *out)
{
	double d;

	if (!cJSON_IsNumber(v))
		return -1;
	d = v->valuedouble;
	if (!(d >= (double)lo && d <= (double)hi) || d != floor(d))
		return -1;
	*out = (size_t)d;
	return 0;
}

cJSON *
kx_json_parse_member(const char *label, const char *json, size_t len, const struct kx_limits *lim,
           struct kx_err *e)
{
	const char *end = NULL;
	struct kx_json_fault f;
	size_t start, line, col;
	cJSON *root;
	int r;

	if (len > lim->config_bytes) {
		kx_err_set(e, KX_EXIT_BADMODEL, "%s: %zu bytes, over the limit of %zu", label, len,
		           lim->config_bytes);
		return NULL;
	}
	if (memchr(json, '\0', len)) {
		kx_err_set(e, KX_EXIT_BADMODEL, "%s: contains a NUL byte", label);
		return NULL;
	}
	if (kx_json_depth_ok(json, len, lim->json_depth) != 0) {
		kx_err_set(e, KX_EXIT_BADMODEL, "%s: JSON nested deeper than %zu levels", label,
		           lim->json_depth);
		return NULL;
	}
	/* The text as Python's json reads it, or refused where cJSON would
	 * read it otherwise (duplicate keys, "\u0000", lax numbers, ...). */
	r = kx_json_strict(json, len, lim->json_depth, &start, &f);
	if (r == -2) {
		kx_err_set(e, KX_EXIT_INTERNAL, "%s: out of memory", label);
		return NULL;
	}
	if (r != 0) {
		kx_text_pos(json, len, f.off, &line, &col);
		kx_err_set(e, KX_EXIT_BADMODEL, "%s:%zu:%zu: %s", label, line, col, f.msg);
		return NULL;
	}
	root = cJSON_ParseWithLengthOpts(json + start, len - start, &end, 0);
	if (!root) {
		kx_text_pos(json, len, end ? (size_t)(end - json) : 0, &line, &col);
		kx_err_set(e, KX_EXIT_BADMODEL, "%s:%zu:%zu: invalid JSON", label, line, col);
		return NULL;
	}
	return root;
}

/* The last dimension of a shape list like [null, 3]. */
int
kx_json_shape_last(const cJSON *shape, const struct kx_limits *lim, size_t *out)
{
	int n;

	if (!cJSON_IsArray(shape) || (n = cJSON_GetArraySize(shape)) != 2)
		return -1;
	return kx_json_size(cJSON_GetArrayItem(shape, n - 1), 1, lim->max_width, out);
}
