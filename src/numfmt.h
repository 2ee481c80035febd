/* numfmt.h - number text: strict decimal parsing and shortest round-trip
 * float32 printing. Both are hot paths of predict. */
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
 * correctly rounded (same result as strtof). Accepts an optional sign, digits,
 * an optional fraction and exponent. Rejects hex floats, "nan", "inf",
 * locale commas, spaces, and trailing bytes. Values that underflow to zero
 * or subnormals are accepted. Returns an enum kx_num_status. */
int kx_parse_float(const char *s, size_t len, float *out);

/* Write the shortest decimal text that reads back (strtof) to exactly f.
 * buf must hold KX_FLOAT_BUF bytes; the text is NUL-terminated. Returns its
 * length. Non-finite values print as "nan", "inf", "-inf". */
#define KX_FLOAT_BUF 32
size_t kx_format_float(float f, char *buf);

/* Like printf("%.*g", prec, f): prec significant digits (1..9). */
size_t kx_format_float_prec(float f, int prec, char *buf);

#endif
