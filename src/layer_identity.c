/* layer_identity.c - the layers that are the identity at inference:
 * GaussianNoise, GaussianDropout, AlphaDropout, ActivityRegularization,
 * Identity (Dropout has its own row, layer_dropout.c). SpatialDropout1D is
 * refused: it needs a 3-D input, and Keras cannot apply it to the
 * (batch, features) rows kanx reads. One row per class, so that inspect
 * shows the class. */
#include <string.h>

#include "layer.h"
#include "model.h"

static int
parse(struct kx_layer *l, const cJSON *cfg, struct kx_parse_ctx *ctx)
{
	(void)cfg;
	kx_act_lookup("linear", &l->act);
	if (strcmp(l->ops->kind, "SpatialDropout1D") == 0) {
		kx_parse_bad(ctx, "SpatialDropout1D needs a 3-D input (batch, steps, channels); Keras "
		             "cannot apply it to (batch, features) rows");
		return -1;
	}
	return 0;
}

#define IDENTITY(var, cls)                                                   \
	static const char *const var##_classes[] = { cls, NULL };           \
	const struct kx_layer_ops var = {                                    \
		.kind = cls,                                                 \
		.classes = var##_classes,                                    \
		.parse = parse,                                              \
		.shape = kx_layer_shape_same,                                \
		.forward = kx_layer_forward_kop,                             \
		.kop = kx_layer_identity_kop,                                \
		.forward64 = kx_layer_copy64,                                \
	};

IDENTITY(kx_layer_gaussian_noise, "GaussianNoise")
IDENTITY(kx_layer_gaussian_dropout, "GaussianDropout")
IDENTITY(kx_layer_alpha_dropout, "AlphaDropout")
IDENTITY(kx_layer_activity_regularization, "ActivityRegularization")
IDENTITY(kx_layer_identity, "Identity")
IDENTITY(kx_layer_spatial_dropout1d, "SpatialDropout1D")
