/* tests/unit_main.c - the C unit tests (tests/unit_*.c, one file per
 * module; tests/unit.h): run them all in order, print "N passed, N
 * failed", exit 1 on any failure. KANX_SRCDIR names the source tree (for
 * the fixtures), "." by default. */
#include <stdlib.h>

#include "unit.h"

int unit_passed, unit_failed;

int
main(void)
{
	const char *srcdir = getenv("KANX_SRCDIR");

	if (!srcdir)
		srcdir = ".";
	test_limits();
	test_grow();
	test_nearest();
	test_json();
	test_numfmt_grammar();
	test_numfmt_scan();
	test_numfmt_scan_long();
	test_numfmt_parse();
	test_numfmt_format();
	test_numfmt64_repr(srcdir);
	test_numfmt64_parse();
	test_numfmt64_roundtrip();
	test_kernel(srcdir);
	test_plot();
	test_request();
	test_yamlcfg();
	test_expf();
	test_rows();
	test_output();
	test_shard_parse();
	test_shard_cut();
	test_shard_locate();
	printf("%d passed, %d failed\n", unit_passed, unit_failed);
	return unit_failed ? 1 : 0;
}
