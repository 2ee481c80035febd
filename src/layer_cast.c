/* layer_cast.c - the Cast op node (keras.src.ops.core.Cast) some Keras 3
 * versions (3.8 among them) write into a Functional model's config where
 * a layer autocasts its input: a float64 tensor read by a float32 layer.
 * {"class_name": "Cast", "registered_name": "Cast", "config": {"dtype":
 * "float32"}}. Its dtype is the cast's target, read by spec.c as any
 * layer's dtype policy: a float32 Cast of a float64 node passes on the
 * node rounded to float (the float32 forward of ref64.c's node32), a
 * float64 one the double (forward64). No weights. */
#include "layer.h"
#include "model.h"

static int
parse(struct kx_layer *l, const cJSON *cfg, struct kx_parse_ctx *ctx)
{
	const cJSON *dt = cJSON_GetObjectItemCaseSensitive(cfg, "dtype");

	kx_act_lookup("linear", &l->act);
	if (!cJSON_IsString(dt) && !cJSON_IsObject(dt)) {
		kx_parse_bad(ctx, "a Cast node without the dtype it casts to");
		return -1;
	}
	return 0;
}

static const char *const classes[] = { "Cast", NULL };

const struct kx_layer_ops kx_layer_cast = {
	.kind = "Cast",
	.classes = classes,
	.custom = 1,   /* matched by its registered_name, "Cast" */
	.parse = parse,
	.shape = kx_layer_shape_same,
	.forward = kx_layer_forward_kop,
	.kop = kx_layer_identity_kop,
	.forward64 = kx_layer_copy64,
};
