/* json.c - JSON text read strictly as Python's json module reads it (see json.h). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "kxlimits.h"
#include "text.h"

struct scan {
	const unsigned char *s;
	size_t len, i, depth, max_depth;
	struct kx_json_fault *f;
	int oom;
	struct kx_jkeys ks;      /* the keys of every object still open (text.h) */
	unsigned char *keys;     /* the key being read, decoded */
	size_t nb, capb;
};

static int fail(struct scan *c, size_t off, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int
fail(struct scan *c, size_t off, const char *fmt, ...)
{
	va_list ap;

	c->f->off = off;
	va_start(ap, fmt);
	vsnprintf(c->f->msg, sizeof c->f->msg, fmt, ap);
	va_end(ap);
	return -1;
}

static void
skip_ws(struct scan *c)
{
	while (c->i < c->len && (c->s[c->i] == ' ' || c->s[c->i] == '\t' || c->s[c->i] == '\n' ||
	                         c->s[c->i] == '\r'))
		c->i++;
}

static int
put_key_byte(struct scan *c, unsigned char b)
{
	/* 256 bytes first, then doubled */
	if (c->nb == c->capb && kx_grow(&c->keys, &c->capb, c->nb < 256 ? 256 : c->nb + 1, 1) != 0) {
		c->oom = 1;
		return -1;
	}
	c->keys[c->nb++] = b;
	return 0;
}

static int
put_utf8(struct scan *c, unsigned long cp)
{
	unsigned char b[4];
	size_t n, i;

	if (cp < 0x80) {
		b[0] = (unsigned char)cp;
		n = 1;
	} else if (cp < 0x800) {
		b[0] = (unsigned char)(0xc0 | cp >> 6);
		b[1] = (unsigned char)(0x80 | (cp & 0x3f));
		n = 2;
	} else if (cp < 0x10000) {
		b[0] = (unsigned char)(0xe0 | cp >> 12);
		b[1] = (unsigned char)(0x80 | (cp >> 6 & 0x3f));
		b[2] = (unsigned char)(0x80 | (cp & 0x3f));
		n = 3;
	} else {
		b[0] = (unsigned char)(0xf0 | cp >> 18);
		b[1] = (unsigned char)(0x80 | (cp >> 12 & 0x3f));
		b[2] = (unsigned char)(0x80 | (cp >> 6 & 0x3f));
		b[3] = (unsigned char)(0x80 | (cp & 0x3f));
		n = 4;
	}
	for (i = 0; i < n; i++)
		if (put_key_byte(c, b[i]) != 0)
			return -1;
	return 0;
}

static int
hex4(struct scan *c, size_t at, unsigned long *v)
{
	size_t j;

	*v = 0;
	if (c->len - at < 4)
		return fail(c, at, "invalid JSON: a \\u escape needs four hex digits");
	for (j = 0; j < 4; j++) {
		unsigned char h = c->s[at + j];
		*v <<= 4;
		if (h >= '0' && h <= '9')
			*v |= (unsigned long)(h - '0');
		else if (h >= 'a' && h <= 'f')
			*v |= (unsigned long)(h - 'a' + 10);
		else if (h >= 'A' && h <= 'F')
			*v |= (unsigned long)(h - 'A' + 10);
		else
			return fail(c, at, "invalid JSON: a \\u escape needs four hex digits");
	}
	return 0;
}

/* A string at c->i (the opening quote); its decoded bytes are appended to
 * c->keys when key is set. */
static int
string(struct scan *c, int key)
{
	size_t start = c->i++;

	for (;;) {
		unsigned char b;
		unsigned long cp, lo;

		if (c->i >= c->len)
			return fail(c, start, "invalid JSON: unterminated string");
		b = c->s[c->i];
		if (b == '"') {
			c->i++;
			return 0;
		}
		if (b < 0x20)
			return fail(c, c->i, "invalid JSON: control character 0x%02x in a string "
			            "(Python's json refuses it)", b);
		if (b != '\\') {
			size_t n = kx_utf8_len(c->s + c->i, c->len - c->i), j;
			for (j = 0; key && j < n; j++)
				if (put_key_byte(c, c->s[c->i + j]) != 0)
					return -1;
			c->i += n;     /* the text was checked to be UTF-8 */
			continue;
		}
		if (c->i + 1 >= c->len)
			return fail(c, start, "invalid JSON: unterminated string");
		b = c->s[c->i + 1];
		if (b != 'u') {
			static const char esc[] = "\"\\/bfnrt", dec[] = "\"\\/\b\f\n\r\t";
			const char *p = b ? strchr(esc, b) : NULL;
			if (!p)
				return fail(c, c->i, "invalid JSON: invalid escape '\\%c'", b >= 0x20 && b < 0x7f ? b : '?');
			if (key && put_key_byte(c, (unsigned char)dec[p - esc]) != 0)
				return -1;
			c->i += 2;
			continue;
		}
		if (hex4(c, c->i + 2, &cp) != 0)
			return -1;
		if (cp == 0)
			return fail(c, c->i, "a \\u0000 escape in a string is refused (kanx would "
			            "cut the string there, Python would not)");
		if (cp >= 0xdc00 && cp <= 0xdfff)
			return fail(c, c->i, "a lone surrogate escape \\u%04lx is refused", cp);
		if (cp >= 0xd800 && cp <= 0xdbff) {
			if (c->len - c->i < 12 || c->s[c->i + 6] != '\\' || c->s[c->i + 7] != 'u' ||
			    hex4(c, c->i + 8, &lo) != 0 || lo < 0xdc00 || lo > 0xdfff)
				return fail(c, c->i, "a lone surrogate escape \\u%04lx is refused", cp);
			cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
			c->i += 6;
		}
		if (key && put_utf8(c, cp) != 0)
			return -1;
		c->i += 6;
	}
}

/* JSON's number grammar exactly: -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)? */
static int
number(struct scan *c)
{
	size_t start = c->i;
	const char *s = (const char *)c->s, *end;

	switch (kx_json_number(s + c->i, s + c->len, &end)) {
	case KX_JNUM_NONE:
		return fail(c, start, "invalid JSON: invalid number");
	case KX_JNUM_FRACTION:
		return fail(c, start, "invalid JSON: invalid number (a digit must follow '.')");
	case KX_JNUM_EXPONENT:
		return fail(c, start, "invalid JSON: invalid number (an exponent needs digits)");
	default:
		break;
	}
	c->i = (size_t)(end - s);
	if (c->i < c->len && (c->s[c->i] == '.' || (c->s[c->i] >= '0' && c->s[c->i] <= '9')))
		return fail(c, start, "invalid JSON: invalid number (a leading zero or a stray '.')");
	return 0;
}

/* Refuse the duplicate key d. */
static int
duplicate(struct scan *c, const struct kx_jdup *d)
{
	char name[120];
	size_t m = d->len < sizeof name - 1 ? d->len : sizeof name - 1, line, col;

	memcpy(name, d->name, m);
	name[m] = '\0';
	kx_text_pos((const char *)c->s, c->len, d->first, &line, &col);
	return fail(c, d->at, "duplicate key '%s' (first at %zu:%zu): Python's json would keep the "
	            "last, kanx refuses the ambiguity", name, line, col);
}

/* kx_jkeys' answer: 0, or fail. */
static int
keys_rc(struct scan *c, int rc, const struct kx_jdup *d)
{
	if (rc < 0) {
		c->oom = 1;
		return -1;
	}
	return rc ? duplicate(c, d) : 0;
}

static int value(struct scan *c);

/* NaN, Infinity, -Infinity at c->i: Python's json reads and writes them
 * (Keras writes them for a parameter such as ReLU(max_value=inf) or
 * Masking(mask_value=nan)), JSON and cJSON do not. Refused by name, with
 * the key they follow, rather than as a stray character: -1 (fail), or 0
 * when none is there. */
static int
nonfinite(struct scan *c)
{
	static const char *const tok[] = { "NaN", "Infinity", "-Infinity" };
	size_t j, n, k;

	for (j = 0; j < 3; j++) {
		n = strlen(tok[j]);
		if (c->len - c->i < n || memcmp(c->s + c->i, tok[j], n) != 0)
			continue;
		k = c->keys && c->nb < 60 ? c->nb : c->keys ? 60 : 0;
		return fail(c, c->i, "non-finite number %s%s%.*s%s: Python's json writes it, kanx "
		            "reads only finite numbers in a config", tok[j], k ? " (after the key '" : "",
		            (int)k, k ? (const char *)c->keys : "", k ? "')" : "");
	}
	return 0;
}

/* Past the '{' or '[' at c->i: 1 when the object or array is empty (its
 * CLOSE consumed too), 0 when an item follows. */
static int
opened_empty(struct scan *c, unsigned char close)
{
	c->i++;
	skip_ws(c);
	if (c->i < c->len && c->s[c->i] == close) {
		c->i++;
		return 1;
	}
	return 0;
}

/* After an item: 1 at a ',' (another item follows), 0 at CLOSE (both
 * consumed), -1 otherwise. */
static int
next_item(struct scan *c, unsigned char close)
{
	skip_ws(c);
	if (c->i < c->len && (c->s[c->i] == ',' || c->s[c->i] == close))
		return c->s[c->i++] == ',';
	return fail(c, c->i, "invalid JSON: expecting ',' or '%c'", close);
}

static int
object(struct scan *c)
{
	struct kx_jmark m = kx_jkeys_open(&c->ks);
	struct kx_jdup d;
	int more;

	if (opened_empty(c, '}'))
		return 0;
	for (;;) {
		size_t off = c->i;

		if (c->i >= c->len || c->s[c->i] != '"')
			return fail(c, c->i, "invalid JSON: expecting a property name in double quotes");
		c->nb = 0;
		if (string(c, 1) != 0 ||
		    keys_rc(c, kx_jkeys_add_decoded(&c->ks, &m, (const char *)c->keys, c->nb, off, &d), &d) != 0)
			return -1;
		skip_ws(c);
		if (c->i >= c->len || c->s[c->i] != ':')
			return fail(c, c->i, "invalid JSON: expecting ':'");
		c->i++;
		if (value(c) != 0 || (more = next_item(c, '}')) < 0)
			return -1;
		if (!more)
			break;
		skip_ws(c);
	}
	return keys_rc(c, kx_jkeys_close(&c->ks, &m, &d), &d);
}

static int
array(struct scan *c)
{
	int more = !opened_empty(c, ']');

	while (more)
		if (value(c) != 0 || (more = next_item(c, ']')) < 0)
			return -1;
	return 0;
}

static int
value(struct scan *c)
{
	static const char *const lit[] = { "true", "false", "null" };
	unsigned char b;
	size_t j;
	int r;

	skip_ws(c);
	if (c->i >= c->len)
		return fail(c, c->i, "invalid JSON: expecting a value");
	b = c->s[c->i];
	if (b == '{' || b == '[') {
		if (++c->depth > c->max_depth)
			return fail(c, c->i, "JSON nested deeper than %zu levels", c->max_depth);
		r = b == '{' ? object(c) : array(c);
		c->depth--;
		return r;
	}
	if (b == '"')
		return string(c, 0);
	if ((r = nonfinite(c)) != 0)
		return r;
	if (b == '-' || (b >= '0' && b <= '9'))
		return number(c);
	for (j = 0; j < 3; j++) {
		size_t n = strlen(lit[j]);
		if (c->len - c->i >= n && memcmp(c->s + c->i, lit[j], n) == 0) {
			c->i += n;
			return 0;
		}
	}
	return fail(c, c->i, "invalid JSON: expecting a value");
}

int
kx_json_strict(const char *json, size_t len, size_t max_depth, size_t *start,
               struct kx_json_fault *f)
{
	struct scan c;
	size_t i, n;
	int r;

	memset(&c, 0, sizeof c);
	c.s = (const unsigned char *)json;
	c.len = len;
	c.max_depth = max_depth;
	c.f = f;
	*start = 0;
	for (i = 0; i < len; i += n)
		if ((n = kx_utf8_len(c.s + i, len - i)) == 0)
			return fail(&c, i, "not valid UTF-8 (byte 0x%02x)", c.s[i]);
	if (len >= 3 && memcmp(json, "\xef\xbb\xbf", 3) == 0)
		c.i = *start = 3;
	r = value(&c);
	if (r == 0) {
		skip_ws(&c);
		if (c.i < c.len)
			r = fail(&c, c.i, "invalid JSON: extra data after the value");
	}
	kx_jkeys_free(&c.ks);
	free(c.keys);
	return c.oom ? -2 : r;
}

