/* yamlcfg.h - kanx YAML training configs, read as the kanx library reads
 * them, with every problem reported as a diagnostic (diag.h).
 *
 * A config is read the way the kanx library reads it (yaml.safe_load, then
 * kanx.config.validate_config): YAML 1.1 scalars (yes/no booleans, 0x/0o
 * integers, "1.0e-3" needs a signed exponent to be a float), Python's int()
 * and float() conversions (int(5.9) is 5, float("1e-3") works), the same
 * defaults and the library's exact messages. Unlike the library, reading
 * goes on after a problem so that every problem is reported, each with the
 * line and column (1-based, from libyaml's marks) of the offending node.
 * Problems beyond the library's rules that would still break a model
 * (unknown activation, non-finite grid range, kanx limits) are errors too;
 * suspicious but accepted things (unknown keys, truncated floats) are
 * warnings. */
#ifndef KX_YAMLCFG_H
#define KX_YAMLCFG_H

#include <stddef.h>
#include "act.h"
#include "err.h"
#include "kxlimits.h"

#include "diag.h"

/* ---- the kanx training config ------------------------------------------ */

/* A position in the config file, 1-based. */
struct kx_yaml_mark {
	unsigned long line, col;
	int dflt;     /* the key was absent (the default applies); the mark is
	                 then the enclosing key's ("model:"), or 1:1 */
};

struct kx_kancfg {
	char *path;                     /* as given */
	/* model: */
	size_t *layers;                 /* widths, n_layers >= 2 */
	size_t n_layers;
	size_t grid_size;               /* default 5 */
	size_t spline_order;            /* default 3 */
	char *base_activation;          /* default "silu", as written */
	struct kx_act act;              /* base_activation looked up */
	double grid_range[2];           /* default [-1, 1] */
	double regularization_factor;   /* default 0 */
	/* training: (library defaults when absent) */
	double lr;                      /* 1e-3 */
	long long epochs;               /* 50 */
	long long batch_size;           /* 32 */
	char *loss;                     /* "mse" */
	char *optimizer;                /* "adam" */
	double val_split;               /* 0 */
	long long early_stopping_patience;  /* 0 */
	long long seed;                 /* 42 */
	/* checkpoint: */
	char *ckpt_dir;                 /* "checkpoints" */
	char *ckpt_filename;            /* "kanx_model.keras" */
	int save_best_only;             /* 1 */
	char *monitor;                  /* "loss" */
	/* Where things are, for messages comparing a checkpoint with the
	 * config. */
	struct kx_yaml_mark at_model, at_layers, at_grid_size, at_spline_order,
		at_base_activation, at_grid_range;
	struct kx_yaml_mark *at_layer;  /* one per layers entry */
};

/* Read and check the config at PATH. Returns -1 with e filled when the file
 * cannot be read (KX_EXIT_IO; message "PATH: Config file not found" or the
 * system's reason) or memory runs out (KX_EXIT_INTERNAL). Otherwise returns
 * 0 with every problem added to d (file = PATH, with line and column) and
 * *out set to the config when there was no error-level problem, or NULL.
 * The caller owns *out: kx_kancfg_free(). Files over lim->config_bytes and
 * nesting deeper than lim->json_depth are problems, not I/O errors. */
int kx_kancfg_read(const char *path, const struct kx_limits *lim,
                   struct kx_kancfg **out, struct kx_diags *d, struct kx_err *e);

/* The same from memory; NAME labels the problems. buf need not be
 * NUL-terminated. Returns -1 only when memory runs out. */
int kx_kancfg_read_mem(const char *name, const void *buf, size_t len,
                       const struct kx_limits *lim, struct kx_kancfg **out,
                       struct kx_diags *d, struct kx_err *e);

/* Convenience for commands that only need a usable config (serve-stdin):
 * NULL on failure with e filled: KX_EXIT_IO for an unreadable file, or
 * KX_EXIT_BADMODEL with every error-level problem as "PATH:LINE:COL: msg"
 * joined by "; ". Warnings are passed to warn(ctx, "PATH:LINE:COL: msg")
 * when warn is not NULL. */
struct kx_kancfg *kx_kancfg_load(const char *path, const struct kx_limits *lim,
                                 void (*warn)(void *ctx, const char *msg), void *ctx,
                                 struct kx_err *e);

/* Free; accepts NULL. */
void kx_kancfg_free(struct kx_kancfg *c);

#endif
