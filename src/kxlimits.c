/* kxlimits.c - the table of limits and overflow-checked size arithmetic. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "kxlimits.h"

#define MiB ((size_t)1 << 20)
#define GiB ((size_t)1 << 30)

int
kx_mul(size_t a, size_t b, size_t *out)
{
	if (a != 0 && b > SIZE_MAX / a)
		return -1;
	*out = a * b;
	return 0;
}

int
kx_add(size_t a, size_t b, size_t *out)
{
	if (b > SIZE_MAX - a)
		return -1;
	*out = a + b;
	return 0;
}

int
kx_grow_max(void *pp, size_t *cap, size_t need, size_t max, size_t elem)
{
	size_t ncap, bytes;
	void *p, *np;

	if (need <= *cap)
		return 0;
	if (need > max)
		return -1;
	ncap = *cap > max / 2 ? max : *cap * 2;
	if (ncap < 8)
		ncap = max < 8 ? max : 8;
	if (ncap < need)
		ncap = need;
	if (kx_mul(ncap, elem, &bytes) != 0)
		return -1;
	memcpy(&p, pp, sizeof p);
	if ((np = realloc(p, bytes ? bytes : 1)) == NULL)
		return -1;
	memcpy(pp, &np, sizeof np);
	*cap = ncap;
	return 0;
}

int
kx_grow(void *pp, size_t *cap, size_t need, size_t elem)
{
	return kx_grow_max(pp, cap, need, SIZE_MAX, elem);
}

int
kx_parse_size(const char *s, size_t lo, size_t hi, size_t *out)
{
	unsigned long long v;
	char *end;

	if (s == NULL || *s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < lo || v > hi)
		return -1;
	*out = (size_t)v;
	return 0;
}

void *
kx_calloc(size_t n, size_t size)
{
	size_t total;

	if (kx_mul(n, size, &total) != 0)
		return NULL;
	return calloc(total ? total : 1, 1);
}

void *
kx_mallocarray(size_t n, size_t size)
{
	size_t total;

	if (kx_mul(n, size, &total) != 0)
		return NULL;
	return malloc(total ? total : 1);
}

int
kx_limits_init(struct kx_limits *l, const char **msg)
{
	const char *v;

	l->max_batch = 4096;
	l->archive_bytes = GiB;
	l->member_bytes = GiB;
	l->total_inflated = GiB;
	l->max_members = 64;
	l->config_bytes = 4 * MiB;
	l->json_depth = 64;
	l->max_layers = 1024;
	l->max_width = 1 << 20;
	l->max_grid = 65536;
	l->max_order = KX_MAX_ORDER;
	l->weight_bytes = GiB;
	l->line_bytes = 16 * MiB;
	l->read_seconds = 30;

	v = getenv("KANX_MAX_BATCH");
	if (v && *v && kx_parse_size(v, 1, 1u << 30, &l->max_batch) != 0) {
		*msg = "KANX_MAX_BATCH must be an integer from 1 to 1073741824";
		return -1;
	}
	v = getenv("KANX_MAX_LINE");
	if (v && *v && kx_parse_size(v, 64, GiB, &l->line_bytes) != 0) {
		*msg = "KANX_MAX_LINE must be an integer from 64 to 1073741824";
		return -1;
	}
	v = getenv("KANX_MODEL_TIMEOUT");
	if (v && *v && kx_parse_size(v, 1, 86400, &l->read_seconds) != 0) {
		*msg = "KANX_MODEL_TIMEOUT must be an integer from 1 to 86400";
		return -1;
	}
	return 0;
}
