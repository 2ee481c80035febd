/* kernel_panel.h - private to the panel kernels (kernel_panel.c,
 * kernel_avx2.c, kernel_portable.c): the tile sizes and the layouts the
 * load-time packing and the forward pass agree on. */
#ifndef KX_KERNEL_PANEL_H
#define KX_KERNEL_PANEL_H

#include <stddef.h>
#include "kernel_impl.h"
#include "kxlimits.h"   /* KX_MAX_ORDER, kx_mul */

/* A tile is KX_NR outputs of the panel's KX_PANEL rows: 12 accumulators,
 * plus the KX_PV vectors of a column and one broadcast, in the 16 ymm
 * registers. */
#define KX_PV (KX_PANEL / 8)   /* vectors in a panel's column */
#define KX_NR (12 / KX_PV)     /* outputs in a tile */
/* K is cut into blocks of this many (act and bases columns) so the
 * panel's slice of a block stays in L1 while every output tile reads it:
 * 16 KiB. No difference for bench16 (K = 576); 10% for K = 2304. */
#define KX_KC 256

/* The sparse path's rows of one input: 1 + G + 3k (kernel_panel.c). */
size_t kx_panel_sparse_rows(const struct kx_kop *l);

/* A work area's parts for a chain of n layers whose input is in wide, in
 * floats: two activation panels, the [act | B] panel of the widest KAN
 * layer, and an extra row. Returns -1 on overflow. */
int kx_panel_work_layout(const struct kx_prep *const *chain, size_t n, size_t in, size_t *panel,
                         size_t *apanel, size_t *extra);

#endif
