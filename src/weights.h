/* weights.h - model.weights.h5 -> the float32 arrays of each layer.
 *
 * The HDF5 file is opened from memory (core driver, file image; no
 * temporary file). Filter plugins are off, HDF5's own error printing is
 * off. Every link on a weight path must be a hard link; datasets with
 * external storage, virtual layout or unknown filters are refused. Each
 * dataset's rank, shape, type and storage size are checked against the
 * layer spec before anything is read. By default all of it runs in a
 * child process (kx_weights_isolate). */
#ifndef KX_WEIGHTS_H
#define KX_WEIGHTS_H

#include <stddef.h>
#include "err.h"
#include "kxlimits.h"
#include "model.h"

/* Fill the weights of every layer of m from the HDF5 image buf[len].
 * For KAN layers G and k are taken from the weight shapes and must agree
 * with the config. Returns -1 with e naming every offending layer and
 * tensor (KX_EXIT_BADMODEL). LABEL is "FILE:model.weights.h5". */
int kx_weights_load(struct kx_model *m, const char *label, const void *buf, size_t len,
                    const struct kx_limits *lim, struct kx_err *e);

/* One-time library setup: errors off, plugins off. Safe to call often. */
void kx_weights_init(void);

/* kx_weights_load reads the file in a forked child process (the default,
 * on = 1) so that a crash or a hang inside libhdf5 on a hostile file is
 * an ordinary refusal: "libhdf5 crashed reading the file" / "took more
 * than 60 s", exit class KX_EXIT_BADMODEL. The parent receives the
 * arrays through a pipe. If pipe() or fork() fails it reads in-process.
 * The fuzz targets turn it off (on = 0) so libFuzzer sees the coverage. */
void kx_weights_isolate(int on);

#endif
