/* batch.c - the batch of rows between the readers and the writers (see
 * batch.h). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "batch.h"
#include "kanx.h"
#include "kxlimits.h"

int
kx_batch_init(struct kx_batch *b, size_t in, size_t out, size_t target,
              size_t max_batch, struct kx_err *e)
{
	memset(b, 0, sizeof *b);
	b->in = in;
	b->out = out;
	b->target = target ? target : 1;
	if (kx_add(b->target - 1, max_batch ? max_batch : 1, &b->max_cap) != 0)
		goto oom;
	if (in > SIZE_MAX / sizeof(float) || out > SIZE_MAX / sizeof(float))
		goto oom;
	b->cap = b->target;
	b->x = kx_mallocarray(b->cap, (in ? in : 1) * sizeof(float));
	b->y = kx_mallocarray(b->cap, (out ? out : 1) * sizeof(float));
	if (!b->x || !b->y)
		goto oom;
	return 0;
oom:
	kx_batch_fini(b);
	return kx_err_set(e, KX_EXIT_INTERNAL, "out of memory for a batch of %zu rows", target);
}

int
kx_batch_double(struct kx_batch *b, int in64, const unsigned char *cols, struct kx_err *e)
{
	if (in64 && !(b->x64 = kx_mallocarray(b->cap, (b->in ? b->in : 1) * sizeof(double))))
		goto oom;
	if (cols) {
		if (!(b->y64 = kx_mallocarray(b->cap, (b->out ? b->out : 1) * sizeof(double))) ||
		    !(b->y64_cols = malloc(b->out ? b->out : 1)))
			goto oom;
		memcpy(b->y64_cols, cols, b->out);
	}
	return 0;
oom:
	return kx_err_set(e, KX_EXIT_INTERNAL, "out of memory for a batch of %zu rows", b->cap);
}

void
kx_batch_reset(struct kx_batch *b)
{
	b->n = 0;
	b->n_recs = 0;
	b->ids_len = 0;
}

void
kx_batch_fini(struct kx_batch *b)
{
	if (!b)
		return;
	free(b->x);
	free(b->y);
	free(b->x64);
	free(b->y64);
	free(b->y64_cols);
	free(b->recs);
	free(b->ids);
	memset(b, 0, sizeof *b);
}

int
kx_batch_rows(struct kx_batch *b, size_t need)
{
	size_t ncap = b->cap, bx, by;
	float *nx, *ny;

	if (need <= b->cap)
		return 0;
	if (need > b->max_cap)
		return -1;
	while (ncap < need)
		ncap = ncap > b->max_cap / 2 ? b->max_cap : ncap * 2;
	if (kx_mul(ncap, (b->in ? b->in : 1) * sizeof(float), &bx) != 0 ||
	    kx_mul(ncap, (b->out ? b->out : 1) * sizeof(float), &by) != 0 ||
	    bx > SIZE_MAX / 2 || by > SIZE_MAX / 2)
		return -1;
	nx = realloc(b->x, bx);
	if (!nx)
		return -1;
	b->x = nx;
	ny = realloc(b->y, by);
	if (!ny)
		return -1;
	b->y = ny;
	if (b->x64) {
		double *p = realloc(b->x64, bx * 2);
		if (!p)
			return -1;
		b->x64 = p;
	}
	if (b->y64) {
		double *p = realloc(b->y64, by * 2);
		if (!p)
			return -1;
		b->y64 = p;
	}
	b->cap = ncap;
	return 0;
}

int
kx_batch_ids(struct kx_batch *b, size_t more)
{
	size_t need;

	if (kx_add(b->ids_len, more, &need) != 0)
		return -1;
	/* at least one byte: an empty id is copied to a buffer that exists */
	return kx_grow((void **)&b->ids, &b->ids_cap, need ? need : 1, 1);
}

int
kx_batch_width(struct kx_batch *b, size_t in)
{
	size_t bytes;
	float *p;

	if (b->in == in)
		return 0;
	if (b->n > 0 || in > SIZE_MAX / sizeof(float) ||
	    kx_mul(b->cap, (in ? in : 1) * sizeof(float), &bytes) != 0 || bytes > SIZE_MAX / 2)
		return -1;
	p = realloc(b->x, bytes);
	if (!p)
		return -1;
	b->x = p;
	if (b->x64) {
		double *d = realloc(b->x64, bytes * 2);
		if (!d)
			return -1;
		b->x64 = d;
	}
	b->in = in;
	return 0;
}

struct kx_rec *
kx_batch_rec(struct kx_batch *b)
{
	if (kx_grow((void **)&b->recs, &b->cap_recs, b->n_recs + 1, sizeof *b->recs) != 0)
		return NULL;
	return &b->recs[b->n_recs++];
}
