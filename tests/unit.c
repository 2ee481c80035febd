/* tests/unit.c - C unit tests: limits, cli helpers, kernels, number text.
 * Prints TAP-like lines and "N passed, N failed" at the end. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "limits.h"

static int passed, failed;

#define CHECK(cond) do { if (cond) passed++; else { failed++; \
	printf("not ok: %s:%d: %s\n", __FILE__, __LINE__, #cond); } } while (0)

static void
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

static void
test_nearest(void)
{
	const char *const cmds[] = { "inspect", "predict", "validate", "serve-stdin", NULL };

	CHECK(strcmp(kx_cli_nearest("predcit", cmds), "predict") == 0);
	CHECK(strcmp(kx_cli_nearest("serve", cmds), "serve-stdin") == 0);
	CHECK(kx_cli_nearest("zzzzzzzzzz", cmds) == NULL);
}

int
main(void)
{
	test_limits();
	test_nearest();
	printf("%d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
