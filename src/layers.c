/* layers.c - the layer table (layer.h) and what its rows share. */
#include <stdio.h>
#include <string.h>

#include "layer.h"
#include "model.h"

extern const struct kx_layer_ops kx_layer_input, kx_layer_dense, kx_layer_activation,
	kx_layer_dropout;

/* One row per layer kind. Order does not matter: each class is accepted
 * by one row (a test checks it). */
const struct kx_layer_ops *const kx_layer_table[] = {
	&kx_layer_input,
	&kx_layer_kan,
	&kx_layer_dense,
	&kx_layer_activation,
	&kx_layer_dropout,
	NULL
};

const struct kx_layer_ops *
kx_layer_find(const char *cls, int custom)
{
	size_t i, j;

	for (i = 0; kx_layer_table[i]; i++) {
		const struct kx_layer_ops *o = kx_layer_table[i];
		if (o->custom != custom)
			continue;
		for (j = 0; o->classes[j]; j++)
			if (strcmp(o->classes[j], cls) == 0)
				return o;
	}
	return NULL;
}

int
kx_layer_shape_same(struct kx_layer *l, const size_t *in_w, size_t n_in, char *msg, size_t size)
{
	if (n_in != 1) {
		snprintf(msg, size, "takes one input, not %zu", n_in);
		return -1;
	}
	l->in = l->out = in_w[0];
	return 0;
}

int
kx_layer_act(struct kx_parse_ctx *ctx, const cJSON *cfg, const char *key, const char *dflt,
             int rowwise_ok, enum kx_act *out)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(cfg, key);
	const char *name = dflt;

	if (v && !cJSON_IsNull(v)) {
		if (!cJSON_IsString(v)) {
			kx_parse_bad(ctx, "%s: only named Keras activations are supported", key);
			return -1;
		}
		name = v->valuestring;
	}
	if (!name)
		name = "linear";
	if (kx_act_lookup(name, out) != 0) {
		kx_parse_bad(ctx, "unsupported activation '%.100s'", name);
		return -1;
	}
	if (!rowwise_ok && kx_act_is_rowwise(*out)) {
		kx_parse_bad(ctx, "activation '%s' is only supported on Dense and Activation layers", name);
		return -1;
	}
	return 0;
}

void
kx_fmt_dims(char *buf, size_t size, const size_t *dims, int rank)
{
	size_t o = 0;
	int i;

	o += (size_t)snprintf(buf + o, size - o, "(");
	for (i = 0; i < rank && o < size; i++)
		o += (size_t)snprintf(buf + o, size - o, "%s%zu", i ? ", " : "", dims[i]);
	if (o < size)
		snprintf(buf + o, size - o, ")");
}
