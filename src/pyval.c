/* pyval.c - Python's repr(), str(), bool(), int() and float() of YAML
 * values. */
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pyval.h"

struct sbuf {
	char *p;
	size_t len, cap;    /* cap includes the NUL; output is truncated with "..." */
	int full;
};

static void
sb_put(struct sbuf *b, const char *s, size_t n)
{
	if (b->full)
		return;
	if (b->len + n + 4 > b->cap) {
		size_t room = b->cap > b->len + 4 ? b->cap - b->len - 4 : 0;
		memcpy(b->p + b->len, s, room);
		b->len += room;
		memcpy(b->p + b->len, "...", 4);
		b->len += 3;
		b->full = 1;
		return;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

static void sb_puts(struct sbuf *b, const char *s) { sb_put(b, s, strlen(s)); }

/* Python's repr(float): shortest round-trip digits; exponent form when the
 * exponent is < -4 or >= 16; always a '.0' or an exponent. */
static void
py_float_repr(double f, char *out, size_t outsz)
{
	char tmp[40], digits[24];
	int p, exp10 = 0, nd = 0;
	size_t i;
	const char *e;

	if (isnan(f)) {
		snprintf(out, outsz, "nan");
		return;
	}
	if (isinf(f)) {
		snprintf(out, outsz, f < 0 ? "-inf" : "inf");
		return;
	}
	if (f == 0.0) {
		snprintf(out, outsz, signbit(f) ? "-0.0" : "0.0");
		return;
	}
	for (p = 0; p <= 16; p++) {
		snprintf(tmp, sizeof tmp, "%.*e", p, f);
		if (strtod(tmp, NULL) == f)
			break;
	}
	/* tmp = [-]d.ddde[+-]XX */
	for (i = 0; tmp[i] && tmp[i] != 'e'; i++)
		if (kx_is_digit(tmp[i]) && nd < (int)sizeof digits - 1)
			digits[nd++] = tmp[i];
	digits[nd] = '\0';
	e = strchr(tmp, 'e');
	exp10 = e ? atoi(e + 1) : 0;
	while (nd > 1 && digits[nd - 1] == '0')
		digits[--nd] = '\0';
	{
		char res[64];
		size_t r = 0;
		int k;
		if (f < 0)
			res[r++] = '-';
		if (exp10 < -4 || exp10 >= 16) {
			res[r++] = digits[0];
			if (nd > 1) {
				res[r++] = '.';
				for (k = 1; k < nd; k++)
					res[r++] = digits[k];
			}
			snprintf(res + r, sizeof res - r, "e%c%02d", exp10 < 0 ? '-' : '+', exp10 < 0 ? -exp10 : exp10);
		} else if (exp10 < 0) {
			res[r++] = '0';
			res[r++] = '.';
			for (k = -1; k > exp10; k--)
				res[r++] = '0';
			for (k = 0; k < nd; k++)
				res[r++] = digits[k];
			res[r] = '\0';
		} else {
			for (k = 0; k <= exp10; k++)
				res[r++] = k < nd ? digits[k] : '0';
			res[r++] = '.';
			if (nd > exp10 + 1)
				for (k = exp10 + 1; k < nd; k++)
					res[r++] = digits[k];
			else
				res[r++] = '0';
			res[r] = '\0';
		}
		snprintf(out, outsz, "%s", res);
	}
}

static void
py_str_repr(struct sbuf *b, const char *s, size_t len)
{
	char q = '\'';
	size_t i;

	if (memchr(s, '\'', len) && !memchr(s, '"', len))
		q = '"';
	sb_put(b, &q, 1);
	for (i = 0; i < len && !b->full; i++) {
		unsigned char c = (unsigned char)s[i];
		char esc[8];
		if (c == '\\')
			sb_puts(b, "\\\\");
		else if (c == (unsigned char)q)
			sb_puts(b, q == '\'' ? "\\'" : "\\\"");
		else if (c == '\n')
			sb_puts(b, "\\n");
		else if (c == '\r')
			sb_puts(b, "\\r");
		else if (c == '\t')
			sb_puts(b, "\\t");
		else if (c < 0x20 || c == 0x7f) {
			snprintf(esc, sizeof esc, "\\x%02x", c);
			sb_puts(b, esc);
		} else
			sb_put(b, (const char *)&s[i], 1);
	}
	sb_put(b, &q, 1);
}

static void
py_repr(struct sbuf *b, const struct kx_ynode *n, int *budget)
{
	struct kx_yval v;
	char tmp[64];
	size_t i;

	if (--*budget < 0 || b->full) {
		sb_puts(b, "...");
		return;
	}
	kx_yaml_resolve(n, &v);
	switch (v.t) {
	case YV_NULL:
		sb_puts(b, "None");
		break;
	case YV_BOOL:
		sb_puts(b, v.i ? "True" : "False");
		break;
	case YV_INT:
		if (v.big) {
			/* Python keeps big integers; show the text without underscores. */
			for (i = 0; i < n->len; i++)
				if (n->text[i] != '_')
					sb_put(b, &n->text[i], 1);
		} else {
			snprintf(tmp, sizeof tmp, "%lld", v.i);
			sb_puts(b, tmp);
		}
		break;
	case YV_FLOAT:
		py_float_repr(v.f, tmp, sizeof tmp);
		sb_puts(b, tmp);
		break;
	case YV_STR:
	case YV_BAD:
		py_str_repr(b, n->text, n->len);
		break;
	case YV_DATE:
		snprintf(tmp, sizeof tmp, "datetime.date(%d, %d, %d)", atoi(n->text), atoi(n->text + 5),
		         atoi(n->text + 8));
		sb_puts(b, tmp);
		break;
	case YV_SEQ:
		sb_puts(b, "[");
		for (i = 0; i < n->n && !b->full; i++) {
			if (i)
				sb_puts(b, ", ");
			py_repr(b, n->kids[i], budget);
		}
		sb_puts(b, "]");
		break;
	case YV_MAP:
		sb_puts(b, "{");
		for (i = 0; i + 1 < n->n && !b->full; i += 2) {
			if (i)
				sb_puts(b, ", ");
			py_repr(b, n->kids[i], budget);
			sb_puts(b, ": ");
			py_repr(b, n->kids[i + 1], budget);
		}
		sb_puts(b, "}");
		break;
	}
}

const char *
kx_py_repr(const struct kx_ynode *n, char *out)
{
	struct sbuf b = { out, 0, KX_REPR_MAX, 0 };
	int budget = 1000;

	out[0] = '\0';
	py_repr(&b, n, &budget);
	return out;
}

const char *
kx_py_type_name(enum kx_ytype t)
{
	switch (t) {
	case YV_NULL: return "NoneType";
	case YV_BOOL: return "bool";
	case YV_INT: return "int";
	case YV_FLOAT: return "float";
	case YV_SEQ: return "list";
	case YV_MAP: return "dict";
	case YV_DATE: return "datetime.date";
	default: return "str";
	}
}

/* Python's str(v), into out (KX_REPR_MAX bytes). */
const char *
kx_py_str(const struct kx_ynode *n, char *out)
{
	struct kx_yval v;

	kx_yaml_resolve(n, &v);
	if (v.t == YV_STR || v.t == YV_BAD) {
		snprintf(out, KX_REPR_MAX, "%s", n->text);
		return out;
	}
	if (v.t == YV_DATE) {
		snprintf(out, KX_REPR_MAX, "%s", n->text);
		return out;
	}
	return kx_py_repr(n, out);
}

int
kx_py_truthy(const struct kx_ynode *n)
{
	struct kx_yval v;

	kx_yaml_resolve(n, &v);
	switch (v.t) {
	case YV_NULL: return 0;
	case YV_BOOL:
	case YV_INT: return v.i != 0;
	case YV_FLOAT: return v.f != 0.0;
	case YV_STR: return n->len > 0;
	case YV_SEQ:
	case YV_MAP: return n->n > 0;
	default: return 1;
	}
}

static int
py_space(int c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

/* Copy s without surrounding whitespace and without the underscores Python
 * allows between digits. Returns -1 when an underscore is misplaced or the
 * text does not fit. */
static int
py_clean_number(const char *s, size_t len, char *out, size_t outsz)
{
	size_t a = 0, b = len, i, n = 0;

	while (a < b && py_space((unsigned char)s[a]))
		a++;
	while (b > a && py_space((unsigned char)s[b - 1]))
		b--;
	for (i = a; i < b; i++) {
		if (s[i] == '_') {
			if (i == a || i + 1 >= b || !kx_is_digit(s[i - 1]) || !kx_is_digit(s[i + 1]))
				return -1;
			continue;
		}
		if (n + 1 >= outsz)
			return -1;
		out[n++] = s[i];
	}
	out[n] = '\0';
	return 0;
}

/* Python's int(v). Returns 0 with *out (and *trunc when a float lost its
 * fraction), or -1 with Python's exception text in msg. */
int
kx_py_int(const struct kx_ynode *n, long long *out, int *trunc, char *msg)
{
	struct kx_yval v;
	char buf[KX_REPR_MAX], r[KX_REPR_MAX];

	*trunc = 0;
	kx_yaml_resolve(n, &v);
	switch (v.t) {
	case YV_BOOL:
		*out = v.i;
		return 0;
	case YV_INT:
		if (v.big) {
			snprintf(msg, KX_REPR_MAX, "integer %s is too large", kx_py_repr(n, r));
			return -1;
		}
		*out = v.i;
		return 0;
	case YV_FLOAT:
		if (isnan(v.f)) {
			snprintf(msg, KX_REPR_MAX, "cannot convert float NaN to integer");
			return -1;
		}
		if (isinf(v.f)) {
			snprintf(msg, KX_REPR_MAX, "cannot convert float infinity to integer");
			return -1;
		}
		if (fabs(v.f) >= 9.2e18) {
			snprintf(msg, KX_REPR_MAX, "integer %s is too large", kx_py_repr(n, r));
			return -1;
		}
		*out = (long long)v.f;
		*trunc = (double)*out != v.f;
		return 0;
	case YV_STR:
	case YV_BAD: {
		size_t i = 0;
		int neg = 0;
		unsigned long long acc = 0;
		if (py_clean_number(n->text, n->len, buf, sizeof buf) == 0) {
			if (buf[i] == '-' || buf[i] == '+')
				neg = buf[i++] == '-';
			if (kx_is_digit(buf[i])) {
				for (; kx_is_digit(buf[i]); i++) {
					if (acc > (unsigned long long)LLONG_MAX / 10) {
						snprintf(msg, KX_REPR_MAX, "integer %s is too large", kx_py_repr(n, r));
						return -1;
					}
					acc = acc * 10 + (unsigned long long)(buf[i] - '0');
				}
				if (buf[i] == '\0' && acc <= (unsigned long long)LLONG_MAX) {
					*out = neg ? -(long long)acc : (long long)acc;
					return 0;
				}
			}
		}
		snprintf(msg, KX_REPR_MAX, "invalid literal for int() with base 10: %s", kx_py_repr(n, r));
		return -1;
	}
	default:
		snprintf(msg, KX_REPR_MAX,
		         "int() argument must be a string, a bytes-like object or a real number, not '%s'",
		         kx_py_type_name(v.t));
		return -1;
	}
}

/* Python's float(v). Returns 0, or -1 with Python's exception text. */
int
kx_py_float(const struct kx_ynode *n, double *out, char *msg)
{
	struct kx_yval v;
	char buf[KX_REPR_MAX], r[KX_REPR_MAX], *end;

	kx_yaml_resolve(n, &v);
	switch (v.t) {
	case YV_BOOL:
		*out = (double)v.i;
		return 0;
	case YV_INT:
		if (v.big) {
			char digits[KX_REPR_MAX];
			kx_py_repr(n, digits);
			*out = strtod(digits, NULL);
			if (isinf(*out)) {
				snprintf(msg, KX_REPR_MAX, "int too large to convert to float");
				return -1;
			}
			return 0;
		}
		*out = (double)v.i;
		return 0;
	case YV_FLOAT:
		*out = v.f;
		return 0;
	case YV_STR:
	case YV_BAD:
		if (py_clean_number(n->text, n->len, buf, sizeof buf) == 0 && buf[0]) {
			const char *p = buf + (buf[0] == '-' || buf[0] == '+');
			char low[16];
			size_t i;
			for (i = 0; i < sizeof low - 1 && p[i]; i++)
				low[i] = (char)(p[i] >= 'A' && p[i] <= 'Z' ? p[i] - 'A' + 'a' : p[i]);
			low[i] = '\0';
			if (p[i] == '\0' && (strcmp(low, "inf") == 0 || strcmp(low, "infinity") == 0)) {
				*out = buf[0] == '-' ? -INFINITY : INFINITY;
				return 0;
			}
			if (p[i] == '\0' && strcmp(low, "nan") == 0) {
				*out = NAN;
				return 0;
			}
			/* digits[.digits][e[sign]digits] or .digits[...]: strtod would also
			 * take hex and "infinity" spellings, so check the shape first. */
			{
				size_t j = 0, nd = 0;
				while (kx_is_digit(p[j]))
					j++, nd++;
				if (p[j] == '.')
					for (j++; kx_is_digit(p[j]); j++)
						nd++;
				if (nd > 0 && (p[j] == 'e' || p[j] == 'E')) {
					size_t k = j + 1;
					if (p[k] == '-' || p[k] == '+')
						k++;
					if (kx_is_digit(p[k])) {
						while (kx_is_digit(p[k]))
							k++;
						j = k;
					}
				}
				if (nd > 0 && p[j] == '\0') {
					*out = strtod(buf, &end);
					return 0;
				}
			}
		}
		snprintf(msg, KX_REPR_MAX, "could not convert string to float: %s", kx_py_repr(n, r));
		return -1;
	default:
		snprintf(msg, KX_REPR_MAX, "float() argument must be a string or a real number, not '%s'",
		         kx_py_type_name(v.t));
		return -1;
	}
}
