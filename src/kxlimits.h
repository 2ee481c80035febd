/* kxlimits.h - every bound kanx applies to untrusted input, in one table,
 * and the overflow-checked size arithmetic every allocation goes through. */
#ifndef KX_LIMITS_H
#define KX_LIMITS_H

#include <stddef.h>
#include <stdint.h>

/* The largest spline order a model may have, and the default of
 * max_order: the kernels keep the k+1 bases of a value on the stack. */
#define KX_MAX_ORDER 64

/* The most threads kanx predict scores with (-t, KANX_THREADS). */
#define KX_MAX_THREADS 64

/* How deep models may nest (a Sequential, Functional or kanx>KAN used as
 * a layer of another, inside another, ...): the config parser recurses
 * once a level. */
#define KX_MAX_NEST 16
/* the most weight tensors one layer has (BatchNormalization with renorm:
 * 7); struct kx_layer's w64 and every tensors hook are sized by it */
#define KX_MAX_TENSORS 7

struct kx_limits {
	size_t max_batch;         /* KANX_MAX_BATCH: rows per request (API 413), default 4096 */
	size_t archive_bytes;     /* whole .keras file, default 1 GiB */
	size_t member_bytes;      /* one member, inflated, default 1 GiB */
	size_t total_inflated;    /* all members inflated together, default 1 GiB */
	size_t max_members;       /* members in the zip, default 64 */
	size_t config_bytes;      /* config.json / metadata.json, default 4 MiB */
	size_t json_depth;        /* nesting depth of config.json / requests, default 64 */
	size_t max_layers;        /* layers in a model, default 1024 */
	size_t max_width;         /* features of one layer, default 1048576 */
	size_t max_grid;          /* grid size G, default 65536 */
	size_t max_order;         /* spline order k, default KX_MAX_ORDER (64) */
	size_t weight_bytes;      /* all weights together as float32, default 1 GiB */
	size_t line_bytes;        /* one input line / JSON record, default 16 MiB */
	size_t read_seconds;      /* KANX_MODEL_TIMEOUT: wait for a model from a pipe, default 30 */
};

/* Fill with the defaults, then apply KANX_MAX_BATCH, KANX_MAX_LINE and
 * KANX_MODEL_TIMEOUT from the environment. Returns -1 with a message in
 * *msg (static) when an environment value is not an integer in range. */
int kx_limits_init(struct kx_limits *l, const char **msg);

/* Overflow-checked arithmetic: return 0 and store the result, or -1. */
int kx_mul(size_t a, size_t b, size_t *out);
int kx_add(size_t a, size_t b, size_t *out);

/* Grow the array at *(T **)PP, of *CAP elements of ELEM bytes (NULL and
 * 0 at first), to hold at least NEED elements and at most MAX: the
 * capacity at least doubles (8 elements at first) but never passes MAX.
 * Returns 0, or -1 when NEED > MAX, the size overflows or realloc fails;
 * then *PP and *CAP are unchanged and the caller still owns (and frees) the
 * array. kx_grow is kx_grow_max with no bound but size_t's. */
int kx_grow(void *pp, size_t *cap, size_t need, size_t elem);
int kx_grow_max(void *pp, size_t *cap, size_t need, size_t max, size_t elem);

/* Bounded unsigned parse of a whole string (strtonum-style): 0 on success,
 * -1 when s is not a decimal integer in [lo, hi]. */
int kx_parse_size(const char *s, size_t lo, size_t hi, size_t *out);

/* Allocate n*size bytes, zeroed, or NULL on overflow/out of memory. */
void *kx_calloc(size_t n, size_t size);
/* malloc(n*size) with overflow check; NULL on failure. */
void *kx_mallocarray(size_t n, size_t size);

#endif
