/* layer_dropout.c - Dropout: the identity at inference. */
#include "layer.h"
#include "model.h"

static int
parse(struct kx_layer *l, const cJSON *cfg, struct kx_parse_ctx *ctx)
{
	(void)cfg, (void)ctx;
	kx_act_lookup("linear", &l->act);
	return 0;
}

static const char *const classes[] = { "Dropout", NULL };

const struct kx_layer_ops kx_layer_dropout = {
	.kind = "Dropout",
	.classes = classes,
	.parse = parse,
	.shape = kx_layer_shape_same,
	.forward = kx_layer_forward_kop,
	.kop = kx_layer_identity_kop,
	.forward64 = kx_layer_copy64,
};
