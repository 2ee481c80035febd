/* tests/unit.h - what the C unit test files (tests/unit_*.c, one per
 * module) share: the CHECK counter and one entry point per test, run in
 * order by tests/unit_main.c. The program prints "not ok: FILE:LINE:
 * CONDITION" for each failed check, "# ..." notes, and "N passed, N
 * failed" at the end; it exits 1 on any failure. */
#ifndef KX_UNIT_H
#define KX_UNIT_H

#include <stdio.h>

/* The checks passed and failed so far (unit_main.c). */
extern int unit_passed, unit_failed;

/* Count COND as a passed or a failed check; a failure is printed with its
 * place. */
#define CHECK(cond) do { if (cond) unit_passed++; else { unit_failed++; \
	printf("not ok: %s:%d: %s\n", __FILE__, __LINE__, #cond); } } while (0)

/* A string literal as the (start, end) pair the scanners take. */
#define SPAN(lit) (lit), (lit) + sizeof(lit) - 1

/* unit_limits.c */
void test_limits(void);
void test_grow(void);
/* unit_typo.c */
void test_nearest(void);
/* unit_json.c */
void test_json(void);
/* unit_numfmt.c */
void test_numfmt_grammar(void);
void test_numfmt_scan(void);
void test_numfmt_scan_long(void);
void test_numfmt_parse(void);
void test_numfmt_format(void);
/* unit_numfmt64.c */
void test_numfmt64_repr(const char *srcdir);
void test_numfmt64_parse(void);
void test_numfmt64_roundtrip(void);
/* unit_kernel.c: every kernel, on the fixtures under SRCDIR/tests */
void test_kernel(const char *srcdir);
/* unit_plot.c */
void test_plot(void);
/* unit_request.c */
void test_request(void);
/* unit_yamlcfg.c */
void test_yamlcfg(void);
/* unit_act.c */
void test_expf(void);
/* unit_rows.c */
void test_rows(void);
/* unit_output.c */
void test_output(void);
/* unit_shard.c */
void test_shard_parse(void);
void test_shard_cut(void);
void test_shard_locate(void);

#endif
