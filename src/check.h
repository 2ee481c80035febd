/* check.h - the loader's gate: is a loaded checkpoint one that kanx
 * computes exactly as Keras does?
 *
 * kx_model_load runs these checks on every model it reads and refuses the
 * model when one of them is an error, with the same message `kanx
 * validate` prints for it (validate loads with kx_model_load_unchecked
 * and reports from kx_model_check). One place decides, every command
 * follows. */
#ifndef KX_CHECK_H
#define KX_CHECK_H

#include <stddef.h>
#include "model.h"

enum kx_problem_sev { KX_PROBLEM_ERROR, KX_PROBLEM_WARNING };

/* Called once per problem. MSG is the whole message without the "kanx: "
 * or "warning: " prefix: "MODEL:model.weights.h5: LOCATION: text" (the
 * loader's own format). It is only valid during the call. */
typedef void (*kx_problem_fn)(void *ctx, enum kx_problem_sev sev, const char *msg);

/* Run every check on m (loaded, weights read, kernels prepared) and report
 * each problem through fn. Errors: NaN or infinite weights, knots that
 * decrease, grids of zero span or whose extension by k knots overflows
 * float32, G and k that disagree with the config.
 * Warnings: grid ends other than the configured grid_range. Returns the
 * number of errors. */
size_t kx_model_check(const struct kx_model *m, kx_problem_fn fn, void *ctx);

/* What a layer's check hook (layer.h) reports through. */
struct kx_chk;

/* One problem at WHERE inside model.weights.h5 ("layers/dense/vars/0
 * (kernel)"): through kx_model_check's fn, counted when an error. */
void kx_check_report(struct kx_chk *c, enum kx_problem_sev sev, const char *where,
                     const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* Features of a KAN layer whose grid ends are not [lo, hi] (within 1e-5
 * of the span); broken grids (non-finite, zero span) are skipped. Returns
 * how many, and the first one in *first. */
size_t kx_grid_ends_off(const struct kx_layer *l, float lo, float hi, size_t *first);

#endif
