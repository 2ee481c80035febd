/* request.c - REST API request documents (see request.h).
 *
 * A recursive-descent JSON reader specialised for one shape of document:
 * it never builds a tree, so a request costs its x values and nothing per
 * JSON node (cJSON would cost ~64 bytes per number). The top object and
 * x are read here; every other value is checked by text.c's walker
 * (kx_json_skip), which rows_json.c uses too, so the two readers of a
 * request document take the same JSON and the same keys. Messages follow
 * Python's json module ("Expecting ',' delimiter") so that a 422 reads as
 * it would from the kanx server. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kxlimits.h"
#include "numfmt.h"
#include "request.h"
#include "text.h"

struct jp {
	const char *s;
	size_t len, i;
	size_t max_depth;
	char *err;
	size_t errsz, *err_off;
	struct kx_req *r;
	int failed, oom;
	size_t xidx[KX_REQ_MAXRANK + 1];
};

static int fail(struct jp *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int
fail(struct jp *p, const char *fmt, ...)
{
	va_list ap;

	if (!p->failed) {
		va_start(ap, fmt);
		vsnprintf(p->err, p->errsz, fmt, ap);
		va_end(ap);
		*p->err_off = p->i;
		p->failed = 1;
	}
	return -1;
}

static void
ws(struct jp *p)
{
	while (p->i < p->len) {
		char c = p->s[p->i];
		if (c != ' ' && c != '\t' && c != '\n' && c != '\r')
			break;
		p->i++;
	}
}

static int
peek(const struct jp *p)
{
	return p->i < p->len ? (unsigned char)p->s[p->i] : -1;
}

/* Refuse a string kx_json_string found bad (code) at at, in the words
 * of Python's json module. */
static int
string_fault(struct jp *p, enum kx_jstr code, const char *at, unsigned long cp)
{
	p->i = (size_t)(at - p->s);
	switch (code) {
	case KX_JSTR_UNTERMINATED:
		return fail(p, "Unterminated string starting at");
	case KX_JSTR_CONTROL:
		return fail(p, "Invalid control character at");
	case KX_JSTR_ESCAPE:
		return fail(p, "Invalid \\escape");
	case KX_JSTR_HEX:
		return fail(p, "Invalid \\uXXXX escape");
	case KX_JSTR_UTF8:
		return fail(p, "Invalid UTF-8 byte 0x%02X in string", (unsigned char)*at);
	default:  /* a lone surrogate, low or high */
		return fail(p, "Lone surrogate \\u%04X", (unsigned)cp);
	}
}

/* A string at p->i (the opening quote), checked, and decoded into *buf
 * (grown to hold it, NUL-terminated; its length in *n) when buf is not
 * NULL; *nul set when it contains "\u0000". */
static int
string(struct jp *p, char **buf, size_t *cap, size_t *n, int *nul)
{
	const char *s = p->s + p->i, *end, *at;
	unsigned long cp = 0;
	int flags = 0;
	size_t raw;

	enum kx_jstr code = kx_json_string(s, p->s + p->len, &end, &at, &cp, &flags);

	if (code != KX_JSTR_OK)
		return string_fault(p, code, at, cp);
	p->i = (size_t)(end - p->s);
	if (nul && (flags & 2))
		*nul = 1;
	if (!buf)
		return 0;
	raw = (size_t)(end - s) - 2;
	if (kx_grow(buf, cap, raw + 1, 1) != 0) {
		p->oom = 1;
		return -1;
	}
	*n = kx_json_unescape(s + 1, raw, *buf);
	(*buf)[*n] = '\0';
	return 0;
}

/* Refuse the number at p->i that kx_json_number found bad (st; end:
 * where a digit was expected). */
static int
number_fault(struct jp *p, enum kx_jnum st, const char *end)
{
	if (st == KX_JNUM_NONE)
		return fail(p, "Expecting value");
	p->i = (size_t)(end - p->s);
	if (st == KX_JNUM_FRACTION)
		return fail(p, "Expecting digits after '.'");
	return fail(p, "Expecting exponent digits");
}

/* A number at p->i: checks the JSON grammar, sets [*b, *e). */
static int
number(struct jp *p, size_t *b, size_t *e)
{
	const char *end;
	enum kx_jnum st = kx_json_number(p->s + p->i, p->s + p->len, &end);

	*b = *e = p->i;
	if (st != KX_JNUM_OK)
		return number_fault(p, st, end);
	p->i = (size_t)(end - p->s);
	*e = p->i;
	return 0;
}

/* Refuse the duplicate key d, at its place. */
static int
dup(struct jp *p, const struct kx_jdup *d)
{
	char name[KX_JSON_QUOTE_ROOM(24)];

	name[kx_json_quote(name, d->name, d->len < 24 ? d->len : 24)] = '\0';
	p->i = d->at;
	return fail(p, "Duplicate key %s%s", name, d->len > 24 ? " (cut)" : "");
}

static int value(struct jp *p, size_t depth);

/* The key string at p->i (the opening quote) of the object opened at m:
 * checked, recorded, and refused when it repeats an earlier key. */
static int
key(struct jp *p, const struct kx_jmark *m)
{
	size_t kb = p->i;
	int flags = 0, rc;
	const char *end, *at;
	unsigned long cp;
	struct kx_jdup d;

	if (string(p, NULL, NULL, NULL, NULL) != 0)
		return -1;
	/* valid: kx_json_string only says whether it holds escapes */
	kx_json_string(p->s + kb, p->s + p->len, &end, &at, &cp, &flags);
	rc = kx_jkeys_add(&p->r->keys, m, p->s + kb, p->i - kb, flags & 1, kb, &d);
	if (rc < 0) {
		p->oom = 1;
		return -1;
	}
	return rc ? dup(p, &d) : 0;
}

/* Whether the last key read (decoded) is name. */
static int
key_is(const struct kx_jkeys *ks, const char *name)
{
	const struct kx_jkey *k = &ks->v[ks->n - 1];

	return k->len == strlen(name) && memcmp(ks->buf + k->off, name, k->len) == 0;
}

/* Close the object opened at m: a large one's duplicate keys are found here. */
static int
close_keys(struct jp *p, const struct kx_jmark *m)
{
	struct kx_jdup d;
	int rc = kx_jkeys_close(&p->r->keys, m, &d);

	if (rc < 0) {
		p->oom = 1;
		return -1;
	}
	return rc ? dup(p, &d) : 0;
}

/* Any JSON value at p->i, inside depth containers: checked and skipped
 * by text.c's walker, its faults worded here. */
static int
value(struct jp *p, size_t depth)
{
	struct kx_jfault f;
	const char *end = kx_json_skip(p->s + p->i, p->s + p->len, p->s, depth, p->max_depth, &p->r->keys, &f);

	if (end) {
		p->i = (size_t)(end - p->s);
		return 0;
	}
	p->i = (size_t)(f.at - p->s);
	switch (f.code) {
	case KX_JSKIP_KEY:
		return fail(p, "Expecting property name enclosed in double quotes");
	case KX_JSKIP_COLON:
		return fail(p, "Expecting ':' delimiter");
	case KX_JSKIP_COMMA:
		return fail(p, "Expecting ',' delimiter");
	case KX_JSKIP_STRING:
		return string_fault(p, f.jstr, f.at, f.cp);
	case KX_JSKIP_NUMBER:
		return number_fault(p, f.jnum, f.end);
	case KX_JSKIP_DEEP:
		return fail(p, "Nested deeper than %zu levels", p->max_depth);
	case KX_JSKIP_DUP:
		return dup(p, &f.dup);
	case KX_JSKIP_OOM:
		p->oom = 1;
		return -1;
	default:
		return fail(p, "Expecting value");
	}
}

/* ---- x ------------------------------------------------------------------- */

static void
x_where(struct jp *p, size_t d, const char *detail)
{
	struct kx_req *r = p->r;
	size_t o, k;

	o = (size_t)snprintf(r->x_where, sizeof r->x_where, "x");
	for (k = 0; k < d && o < sizeof r->x_where; k++)
		o += (size_t)snprintf(r->x_where + o, sizeof r->x_where - o, "[%zu]", p->xidx[k]);
	if (detail && o < sizeof r->x_where)
		snprintf(r->x_where + o, sizeof r->x_where - o, "%s", detail);
	r->x_where_off = p->i;
}

static void
x_bad(struct jp *p, enum kx_x_status st, size_t d, const char *detail)
{
	if (p->r->x_status != KX_X_OK)
		return;
	p->r->x_status = st;
	x_where(p, d, detail);
}

/* A leaf at depth d (d list levels above it). */
static void
x_leaf_depth(struct jp *p, size_t d)
{
	struct kx_req *r = p->r;

	if (r->x_status != KX_X_OK)
		return;
	if (!r->rank_known) {
		r->rank = d;
		r->rank_known = 1;
	} else if (r->rank != d) {
		x_bad(p, KX_X_RAGGED, d, d < r->rank ? " is a number where the other rows have lists"
		                                       : " is a list where the other rows have numbers");
	}
}

static int
x_value(struct jp *p, size_t d, size_t depth)
{
	struct kx_req *r = p->r;
	int c = peek(p);

	if (c == '[') {
		size_t count = 0;
		if (depth >= p->max_depth)
			return fail(p, "Nested deeper than %zu levels", p->max_depth);
		if (d >= KX_REQ_MAXRANK) {
			x_bad(p, KX_X_TOO_DEEP, d, " is nested too deeply");
			return value(p, depth);
		}
		p->i++;
		ws(p);
		if (peek(p) == ']') {
			p->i++;
		} else {
			for (;;) {
				p->xidx[d] = count;
				if (x_value(p, d + 1, depth + 1) != 0)
					return -1;
				count++;
				ws(p);
				if (peek(p) == ',') {
					p->i++;
					ws(p);
					continue;
				}
				if (peek(p) == ']') {
					p->i++;
					break;
				}
				return fail(p, "Expecting ',' delimiter");
			}
		}
		if (r->x_status == KX_X_OK) {
			if (count == 0)
				x_leaf_depth(p, d + 1);
			if (r->x_status == KX_X_OK) {
				if (!r->shape_set[d]) {
					r->shape[d] = count;
					r->shape_set[d] = 1;
				} else if (r->shape[d] != count) {
					char det[KX_REQ_MAXRANK * 3 + 64];
					size_t o, k;
					o = (size_t)snprintf(det, sizeof det, " has %zu elements where x", count);
					for (k = 0; k < d && o < sizeof det; k++)
						o += (size_t)snprintf(det + o, sizeof det - o, "[0]");
					if (o < sizeof det)
						snprintf(det + o, sizeof det - o, " has %zu", r->shape[d]);
					x_bad(p, KX_X_RAGGED, d, det);
				}
			}
		}
		return 0;
	}
	if (c == '-' || (c >= '0' && c <= '9')) {
		size_t b, e;
		float f = 0.0f;
		double dv = 0.0;
		if (number(p, &b, &e) != 0)
			return -1;
		x_leaf_depth(p, d);
		if (r->x_status != KX_X_OK)
			return 0;
		if (r->f64 ? kx_parse_double(p->s + b, e - b, &dv) != KX_NUM_OK :
		    kx_parse_float(p->s + b, e - b, &f) != KX_NUM_OK) {
			char det[64];
			snprintf(det, sizeof det, " = %.*s is out of %s range", (int)(e - b > 24 ? 24 : e - b),
			         p->s + b, r->f64 ? "float64" : "float32");
			p->i = b;
			x_bad(p, KX_X_RANGE, d, det);
			p->i = e;
			return 0;
		}
		if (r->f64 ? kx_grow(&r->x64, &r->cap_x64, r->nx + 1, sizeof *r->x64)
		           : kx_grow(&r->x, &r->cap_x, r->nx + 1, sizeof *r->x)) {
			p->oom = 1;
			return -1;
		}
		if (r->f64)
			r->x64[r->nx++] = dv;
		else
			r->x[r->nx++] = f;
		return 0;
	}
	/* a string, object, boolean or null */
	if (d == 0)
		x_bad(p, KX_X_NOT_LIST, 0, NULL);
	else
		x_bad(p, KX_X_NOT_NUMBER, d, " is not a number");
	return value(p, depth);
}

static void
x_reset(struct kx_req *r)
{
	r->has_x = 1;
	r->x_status = KX_X_OK;
	r->x_where[0] = '\0';
	r->x_where_off = 0;
	r->rank = 0;
	r->rank_known = 0;
	r->nx = 0;
	memset(r->shape, 0, sizeof r->shape);
	memset(r->shape_set, 0, sizeof r->shape_set);
}

/* ---- the request object ---------------------------------------------------- */

void
kx_req_init(struct kx_req *r)
{
	memset(r, 0, sizeof *r);
}

void
kx_req_free(struct kx_req *r)
{
	if (r == NULL)
		return;
	free(r->x);
	free(r->x64);
	free(r->opbuf);
	free(r->pathbuf);
	kx_jkeys_free(&r->keys);
	kx_req_init(r);
}

void
kx_req_shape_str(const struct kx_req *r, char *buf, size_t size)
{
	size_t o = 0, k;

	o += (size_t)snprintf(buf, size, "[");
	for (k = 0; k < r->rank && o < size; k++)
		o += (size_t)snprintf(buf + o, size - o, "%s%zu", k ? ", " : "", r->shape[k]);
	if (o < size)
		snprintf(buf + o, size - o, "]");
}

int
kx_req_parse(struct kx_req *r, const char *buf, size_t len, size_t max_depth,
             char *err, size_t errsz, size_t *err_off)
{
	struct jp p;
	struct kx_jmark top;
	size_t n;

	memset(&p, 0, sizeof p);
	p.s = buf;
	p.len = len;
	p.max_depth = max_depth ? max_depth : 1;
	p.err = err;
	p.errsz = errsz;
	p.err_off = err_off;
	p.r = r;
	err[0] = '\0';
	*err_off = 0;

	r->op = NULL;
	r->op_bad = 0;
	r->path = NULL;
	r->path_bad = r->path_nul = 0;
	r->id = NULL;
	r->id_len = 0;
	r->has_x = 0;
	r->x_status = KX_X_OK;
	r->nx = 0;
	r->rank = 0;
	kx_jkeys_reset(&r->keys);

	ws(&p);
	if (peek(&p) != '{') {
		if (p.i >= p.len)
			return fail(&p, "Expecting value");
		/* valid JSON that is not an object is still refused */
		if (value(&p, 0) != 0)
			return p.oom ? -2 : -1;
		ws(&p);
		if (p.i < p.len)
			return fail(&p, "Extra data");
		p.i = 0;
		ws(&p);
		return fail(&p, "The request must be a JSON object");
	}
	p.i++;
	ws(&p);
	top = kx_jkeys_open(&r->keys);
	if (peek(&p) == '}') {
		p.i++;
	} else {
		for (;;) {
			int which;  /* 0 other, 1 x, 2 op, 3 path, 4 id */
			if (peek(&p) != '"')
				return fail(&p, "Expecting property name enclosed in double quotes");
			if (key(&p, &top) != 0)
				return p.oom ? -2 : -1;
			which = key_is(&r->keys, "x") ? 1 : key_is(&r->keys, "op") ? 2 :
			        key_is(&r->keys, "path") ? 3 : key_is(&r->keys, "id") ? 4 : 0;
			ws(&p);
			if (peek(&p) != ':')
				return fail(&p, "Expecting ':' delimiter");
			p.i++;
			ws(&p);
			if (p.i >= p.len)
				return fail(&p, "Expecting value");
			switch (which) {
			case 1:
				x_reset(r);
				if (x_value(&p, 0, 1) != 0)
					return p.oom ? -2 : -1;
				break;
			case 2:
			case 3:
				if (peek(&p) == '"') {
					int nul = 0;
					if (which == 2) {
						if (string(&p, &r->opbuf, &r->cap_op, &n, &nul) != 0)
							return p.oom ? -2 : -1;
						r->op = r->opbuf;
						r->op_bad = nul;
					} else {
						if (string(&p, &r->pathbuf, &r->cap_path, &n, &nul) != 0)
							return p.oom ? -2 : -1;
						r->path = r->pathbuf;
						r->path_bad = 0;
						r->path_nul = nul;
					}
				} else {
					if (value(&p, 1) != 0)
						return p.oom ? -2 : -1;
					if (which == 2) {
						r->op = NULL;
						r->op_bad = 1;
					} else {
						r->path = NULL;
						r->path_bad = 1;
					}
				}
				break;
			case 4: {
				size_t b = p.i;
				if (value(&p, 1) != 0)
					return p.oom ? -2 : -1;
				r->id = buf + b;
				r->id_len = p.i - b;
				break;
			}
			default:
				if (value(&p, 1) != 0)
					return p.oom ? -2 : -1;
			}
			ws(&p);
			if (peek(&p) == ',') {
				p.i++;
				ws(&p);
				continue;
			}
			if (peek(&p) == '}') {
				p.i++;
				if (close_keys(&p, &top) != 0)
					return p.oom ? -2 : -1;
				break;
			}
			return fail(&p, "Expecting ',' delimiter");
		}
	}
	ws(&p);
	if (p.i < p.len)
		return fail(&p, "Extra data");
	if (r->has_x && r->x_status == KX_X_OK && !r->rank_known) {
		/* cannot happen: every x sets the rank */
		r->rank = 0;
	}
	return 0;
}
