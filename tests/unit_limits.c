/* tests/unit_limits.c - unit tests: array growth (kx_grow, kx_grow_max)
 * and the limits table (kxlimits.c). */
#include <stdlib.h>

#include "kxlimits.h"
#include "unit.h"

void
test_grow(void)
{
	int *v = NULL, *keep;
	size_t cap = 0;

	CHECK(kx_grow(&v, &cap, 0, sizeof *v) == 0 && v == NULL && cap == 0);
	CHECK(kx_grow(&v, &cap, 1, sizeof *v) == 0 && v != NULL && cap == 8);
	v[7] = 7;
	CHECK(kx_grow(&v, &cap, 9, sizeof *v) == 0 && cap == 16 && v[7] == 7);
	CHECK(kx_grow(&v, &cap, 100, sizeof *v) == 0 && cap == 100);
	/* the bound: never past max, and a need over it fails, leaving the array */
	CHECK(kx_grow_max(&v, &cap, 101, 150, sizeof *v) == 0 && cap == 150);
	keep = v;
	CHECK(kx_grow_max(&v, &cap, 151, 150, sizeof *v) == -1 && v == keep && cap == 150);
	/* the byte count overflows */
	CHECK(kx_grow(&v, &cap, SIZE_MAX / 2, sizeof *v) == -1 && v == keep && cap == 150);
	CHECK(v[7] == 7);
	free(v);
}

void
test_limits(void)
{
	size_t r;

	CHECK(kx_mul(SIZE_MAX / 2, 3, &r) == -1);
	CHECK(kx_mul(1000, 1000, &r) == 0 && r == 1000000);
	CHECK(kx_add(SIZE_MAX, 1, &r) == -1);
	CHECK(kx_parse_size("42", 1, 100, &r) == 0 && r == 42);
	CHECK(kx_parse_size("0", 1, 100, &r) == -1);
	CHECK(kx_parse_size("-1", 0, 100, &r) == -1);
	CHECK(kx_parse_size("12x", 0, 100, &r) == -1);
	CHECK(kx_parse_size("99999999999999999999999", 0, SIZE_MAX, &r) == -1);
	CHECK(kx_mallocarray(SIZE_MAX / 4, 8) == NULL);
}
