/* graphrefs.c - the references of a Functional model's config (graphrefs.h). */
#include <stdint.h>
#include <string.h>

#include "graphrefs.h"
#include "layer.h"   /* KX_MAX_INPUTS, kx_json_size */

/* A tensor reference [layer name, node index, tensor index]: the layer's
 * name, or NULL. *node and *idx: the call of the layer and which of its
 * outputs (kanx supports 0 and 0: one call, one output). */
const char *
kx_tensor_ref(const cJSON *t, size_t *node, size_t *idx)
{
	const cJSON *n = cJSON_GetArrayItem(t, 0);

	if (!cJSON_IsArray(t) || cJSON_GetArraySize(t) < 3 || cJSON_GetArraySize(t) > 4 ||
	    !cJSON_IsString(n) ||
	    kx_json_size(cJSON_GetArrayItem(t, 1), 0, SIZE_MAX / 2, node) != 0 ||
	    kx_json_size(cJSON_GetArrayItem(t, 2), 0, SIZE_MAX / 2, idx) != 0)
		return NULL;
	return n->valuestring;
}

/* input_layers / output_layers in keras.tree.flatten's order: a [name, 0, 0]
 * triple, or a list or dict of such (Model(x, {"b": y, "a": z}), dict values
 * by sorted key; Model(x, [y, [z, w]])). The names into names[*n ..) (at
 * most max). -1 when it is none of these. */
int
kx_io_refs(const cJSON *v, const char **names, size_t max, size_t *n, size_t depth)
{
	const cJSON *t, *kids[KX_MAX_INPUTS];
	size_t node, idx, nk = 0, i, j;

	if (depth > KX_MAX_NEST)
		return -1;
	if (cJSON_IsArray(v) && cJSON_IsString(cJSON_GetArrayItem(v, 0))) {
		if (*n >= max || !(names[*n] = kx_tensor_ref(v, &node, &idx)) || node || idx)
			return -1;
		(*n)++;
		return 0;
	}
	if ((!cJSON_IsArray(v) && !cJSON_IsObject(v)) || !v->child)
		return -1;
	cJSON_ArrayForEach(t, v) {
		if (nk >= max || (cJSON_IsObject(v) && !t->string))
			return -1;      /* a dict's by key: Python's code-point order is UTF-8's */
		for (j = nk; cJSON_IsObject(v) && j > 0 && strcmp(kids[j - 1]->string, t->string) > 0; j--)
			kids[j] = kids[j - 1];
		kids[j] = t;
		nk++;
	}
	for (i = 0; i < nk; i++)
		if (kx_io_refs(kids[i], names, max, n, depth + 1) != 0)
			return -1;
	return 0;
}

/* A kwargs object kanx can ignore: absent, every value null ({"mask": null}
 * for a nested model's call) or training=False (base(x, training=False), as
 * inference does). Else the first key that is set. */
const char *
kx_kwargs_set(const cJSON *kw)
{
	const cJSON *c;

	if (!kw || cJSON_IsNull(kw))
		return NULL;
	if (!cJSON_IsObject(kw))
		return "?";
	cJSON_ArrayForEach(c, kw)
		if (!cJSON_IsNull(c) && !(c->string && !strcmp(c->string, "training") && cJSON_IsFalse(c)))
			return c->string ? c->string : "?";
	return NULL;
}
