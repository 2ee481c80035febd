/* layer_act_classes.c - the activation layer classes: ReLU(max_value,
 * negative_slope, threshold), LeakyReLU(negative_slope), ELU(alpha) and
 * Softmax(axis). Each is the activation act.c computes with the layer's
 * parameters (kx_act_parse_class, as when the same object is given as a
 * Dense activation), run as the Activation row runs its own: elementwise
 * (Softmax over the row) on every kernel. One row per class, so that
 * inspect shows the class and HDF5 groups are numbered per class. */
#include "layer.h"
#include "model.h"

static int
parse(struct kx_layer *l, const cJSON *cfg, struct kx_parse_ctx *ctx)
{
	char why[300];

	if (kx_act_parse_class(l->ops->kind, cfg, ctx->keras_version, &l->act, why, sizeof why) != 0) {
		kx_parse_bad(ctx, "%s", why);
		return -1;
	}
	return 0;
}

#define ACT_CLASS(var, cls)                                                  \
	static const char *const var##_classes[] = { cls, NULL };           \
	const struct kx_layer_ops var = {                                    \
		.kind = cls,                                                 \
		.classes = var##_classes,                                    \
		.parse = parse,                                              \
		.shape = kx_layer_act_shape,                                 \
		.forward = kx_layer_forward_kop,                             \
		.kop = kx_layer_act_kop,                                     \
		.forward64 = kx_layer_act_forward64,                         \
		.describe = kx_layer_act_describe,                           \
	};

ACT_CLASS(kx_layer_relu, "ReLU")
ACT_CLASS(kx_layer_leaky_relu, "LeakyReLU")
ACT_CLASS(kx_layer_elu, "ELU")
ACT_CLASS(kx_layer_softmax, "Softmax")
