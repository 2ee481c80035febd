/* traincfg.h - what a model's compile_config says about training (the
 * loss, the metrics, the optimizer), for inspect to show. Training-only:
 * nothing in it is used to compute, imported or followed, and nothing in
 * it refuses a model (spec.c's hostile-config scan skips it). */
#ifndef KX_TRAINCFG_H
#define KX_TRAINCFG_H

#include <cjson/cJSON.h>
#include <stddef.h>

#define KX_TRAIN_MAX_METRICS 32  /* metric names kept; the rest are counted */
#define KX_TRAIN_NAME 200        /* bytes of one shown name, NUL included */

struct kx_train {
	char *optimizer;             /* "Adam", or NULL when none is named */
	char *loss;                  /* "mse", "fx13>scaled_mse", "a: mse, b: mae", or NULL */
	char *metrics[KX_TRAIN_MAX_METRICS];
	size_t n_metrics;            /* names in metrics */
	size_t more_metrics;         /* metrics past KX_TRAIN_MAX_METRICS */
};

/* Read the names out of compile_config CC (any JSON value; a non-object
 * gives nothing). Each name is printable ASCII (other bytes shown as '?'),
 * at most KX_TRAIN_NAME - 1 bytes. Returns -1 only when out of memory. */
int kx_train_read(struct kx_train *t, const cJSON *cc);

/* Free the names; accepts a zeroed struct. */
void kx_train_free(struct kx_train *t);

#endif
