/* numfmt.h - number text: strict decimal parsing and shortest round-trip
 * float32 printing. Both are hot paths of predict; neither allocates, uses
 * the locale or keeps state, so both are safe to call from any thread.
 * Exhaustively checked over all 2^32 floats by tests/float_all.c
 * (make check-floats). */
#ifndef KX_NUMFMT_H
#define KX_NUMFMT_H

#include <stddef.h>

enum kx_num_status {
	KX_NUM_OK = 0,
	KX_NUM_SYNTAX = -1,    /* not a plain decimal number (JSON grammar, '+' allowed) */
	KX_NUM_RANGE = -2,     /* finite text but out of float32 range (overflow) */
	KX_NUM_EMPTY = -3      /* empty field */
};

/* Parse the whole of [s, s+len) as a decimal number into a float32,
 * correctly rounded (same result as strtof, ties to even). Accepts an
 * optional sign, digits, an optional fraction and exponent: digits may be
 * missing on one side of the point ("1.", ".5") and leading zeros are
 * allowed. Rejects hex floats, "nan", "inf", locale commas, spaces, and
 * trailing bytes. Values that underflow to zero or subnormals are accepted
 * (with their sign: "-0" gives -0.0). s need not be NUL-terminated; any
 * length is accepted. On KX_NUM_OK stores the value in *out; on any error
 * *out is left unchanged. Returns an enum kx_num_status. */
int kx_parse_float(const char *s, size_t len, float *out);

/* Parse n numbers at s, each followed by one delim byte except the last
 * (not reading past end), into out[0, n): fields split as they are parsed,
 * for the CSV fast path. Returns the position just past the last number,
 * or NULL when a field is not a number in range or is not followed by
 * exactly delim. Each number is the longest that the grammar of
 * kx_parse_float allows, so when every field ended at a delim (and the
 * caller finds the last one ends its line), out holds what
 * kx_parse_float gives for each field; on NULL, out holds scratch. */
const char *kx_scan_floats(const char *s, const char *end, char delim, float *out, size_t n);

/* The same for JSON: n numbers separated by single commas, each also a
 * JSON number (no '+', no leading zeros, digits on both sides of a point),
 * for the JSON-lines fast path. */
const char *kx_scan_json_floats(const char *s, const char *end, float *out, size_t n);

/* Write the shortest decimal text that reads back (strtof) to exactly f;
 * among equally short ones, the nearest to f (ties to an even digit).
 * The layout is that of printf("%.9g") applied to those digits: plain
 * when -4 <= exponent < 9 ("3", "-2.5", "0.0001", "123456790"), otherwise
 * d.ddde+XX ("1e+20", "1.5e-07"); valid JSON for every finite f, "-0" for
 * negative zero. Non-finite values print as "nan", "inf", "-inf".
 * buf must hold KX_FLOAT_BUF bytes, all of which may be written (scratch
 * past the terminator; the text is at most 16 bytes); the text is
 * NUL-terminated. Returns its length. */
#define KX_FLOAT_BUF 32
size_t kx_format_float(float f, char *buf);

/* Like printf("%.*g", prec, f): prec significant digits (clamped to 1..9),
 * rounded from the exact value (ties to even), trailing zeros dropped.
 * NaN prints as "nan" (no sign). Same buffer rules as kx_format_float. */
size_t kx_format_float_prec(float f, int prec, char *buf);

/* Write v in decimal with a comma between groups of three digits
 * ("1,234,567"), whatever the locale, and a NUL. Returns the length. */
#define KX_COUNT_BUF 28
size_t kx_format_count(unsigned long long v, char buf[KX_COUNT_BUF]);

/* float64 models (numfmt64.c). */

/* Parse the whole of [s, s+len) as kx_parse_float does (the same grammar
 * and statuses) into a double, correctly rounded; KX_NUM_RANGE for finite
 * text beyond the double range (past DBL_MAX), never for text beyond
 * FLT_MAX. */
int kx_parse_double(const char *s, size_t len, double *out);

/* Write the shortest decimal text that reads back (strtod) to exactly v,
 * the nearest such among equally short ones: the digits of Python's
 * repr(v), laid out as repr() lays them out (plain when -4 <= exponent <
 * 16, "1e+16", "1e-05", "1e-310"), except that an integer prints without
 * ".0" ("3", as kx_format_float prints it). "-0" for negative zero,
 * "nan", "inf", "-inf". buf must hold KX_DOUBLE_BUF bytes; the text is
 * NUL-terminated. Returns its length. */
#define KX_DOUBLE_BUF 40
size_t kx_format_double(double v, char *buf);

#endif
