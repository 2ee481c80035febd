/* widths.c - every node's width (see widths.h). */
#include <stdlib.h>
#include <string.h>

#include "layer.h"
#include "widths.h"

int
kx_spec_widths(struct kx_model *m, const char *label, struct kx_err *e)
{
	size_t *node_w, in_w[KX_MAX_INPUTS], i, j;
	char msg[300];
	int rc = 0;

	if (!(node_w = kx_mallocarray(m->n_layers + 1, sizeof *node_w)))
		return kx_err_set(e, KX_EXIT_INTERNAL, "%s: out of memory", label);
	node_w[0] = m->in;
	for (i = 0; i < m->n_layers; i++) {
		struct kx_layer *l = &m->layers[i];
		for (j = 0; j < l->n_inputs && j < KX_MAX_INPUTS; j++) {
			in_w[j] = node_w[l->inputs[j]];
			if (in_w[j] == 0)
				break;
		}
		if (j < l->n_inputs) {
			/* after a layer it reads was refused: nothing more to say */
			if (rc == 0)
				kx_err_add(e, KX_EXIT_BADMODEL, "%s: layer '%s': the input width is unknown",
				           label, l->name);
			rc = -1;
			node_w[i + 1] = 0;
			continue;
		}
		if (l->ops->shape(l, in_w, j, msg, sizeof msg) != 0) {
			kx_err_add(e, KX_EXIT_BADMODEL, "%s: layer '%s': %s", label, l->name, msg);
			rc = -1;
			node_w[i + 1] = 0;
			continue;
		}
		node_w[i + 1] = l->out;
	}
	free(node_w);
	return rc;
}


int
kx_describe_entry(struct kx_model *m, struct kx_layer *l, const cJSON *lo, const char *cls,
                  const struct kx_limits *lim)
{
	const cJSON *bc = cJSON_GetObjectItemCaseSensitive(lo, "build_config");
	const cJSON *is = cJSON_GetObjectItemCaseSensitive(bc, "input_shape"), *s;
	size_t j = 0;

	if (!(l->in_decl = kx_calloc(l->n_inputs ? l->n_inputs : 1, sizeof *l->in_decl)))
		return -1;
	/* [null, n] for one input, [[null, n], ...] for several */
	if (l->n_inputs == 1 && kx_json_shape_last(is, lim, &l->in_decl[0]) != 0)
		l->in_decl[0] = 0;
	if (l->n_inputs > 1 && cJSON_IsArray(is) && (size_t)cJSON_GetArraySize(is) == l->n_inputs)
		cJSON_ArrayForEach(s, is) {
			if (kx_json_shape_last(s, lim, &l->in_decl[j]) != 0)
				l->in_decl[j] = 0;
			j++;
		}
	if (l->ops->placeholder) {
		free(l->class_name);
		if (!(l->class_name = strdup(cls)))
			return -1;
		l->shapes_only = 1;
		m->n_unsupported++;
	}
	return 0;
}

int
kx_describe_kan(struct kx_layer *l)
{
	if (!(l->in_decl = malloc(sizeof *l->in_decl)))
		return -1;
	l->in_decl[0] = l->in;
	return 0;
}

/* The width the first layer reading node k declares for it, or 0. */
static size_t
declared_by_readers(const struct kx_model *m, size_t k)
{
	size_t i, j;

	for (i = k; i < m->n_layers; i++)
		for (j = 0; j < m->layers[i].n_inputs; j++)
			if (m->layers[i].inputs[j] == k && m->layers[i].in_decl && m->layers[i].in_decl[j])
				return m->layers[i].in_decl[j];
	return 0;
}

int
kx_describe_widths(struct kx_model *m, const char *label, struct kx_err *e)
{
	size_t *node_w, in_w[KX_MAX_INPUTS], i, j;
	char msg[300];
	int rc = 0, known;

	if (!(node_w = kx_mallocarray(m->n_layers + 1, sizeof *node_w)))
		return kx_err_set(e, KX_EXIT_INTERNAL, "%s: out of memory", label);
	node_w[0] = m->in;
	for (i = 0; i < m->n_layers; i++) {
		struct kx_layer *l = &m->layers[i];
		for (j = 0, known = 1; j < l->n_inputs && j < KX_MAX_INPUTS; j++) {
			in_w[j] = node_w[l->inputs[j]];
			if (in_w[j] == 0 && l->in_decl)
				in_w[j] = l->in_decl[j];
			known &= in_w[j] != 0;
		}
		if (l->ops->placeholder) {
			l->in = l->n_inputs == 1 ? in_w[0] : 0;
			l->out = declared_by_readers(m, i + 1);
		} else if (!known || j < l->n_inputs) {
			l->in = l->out = 0;
			l->shapes_only = 1;
		} else if (l->ops->shape(l, in_w, j, msg, sizeof msg) != 0) {
			kx_err_add(e, KX_EXIT_BADMODEL, "%s: layer '%s': %s", label, l->name, msg);
			rc = -1;
			l->out = 0;
		}
		node_w[i + 1] = l->out;
	}
	free(node_w);
	return rc;
}
