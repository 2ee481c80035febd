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
	    kx_mul(ncap, (b->out ? b->out : 1) * sizeof(float), &by) != 0)
		return -1;
	nx = realloc(b->x, bx);
	if (!nx)
		return -1;
	b->x = nx;
	ny = realloc(b->y, by);
	if (!ny)
		return -1;
	b->y = ny;
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
	    kx_mul(b->cap, (in ? in : 1) * sizeof(float), &bytes) != 0)
		return -1;
	p = realloc(b->x, bytes);
	if (!p)
		return -1;
	b->x = p;
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
