/* rows_json.c - the JSON record parser under the JSON-lines and API
 * formats (rows_jsonl.c, rows_api.c; see reader.h).
 *
 * A small recursive-descent parser that validates the whole record
 * (UTF-8, escapes, duplicate keys, depth) and writes x's numbers straight
 * into the batch. The record's object, x and id are read here; every
 * other value is checked by text.c's walker (kx_json_skip), the one
 * request.c uses for serve-stdin. */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kanx.h"
#include "kxlimits.h"
#include "numfmt.h"
#include "reader.h"
#include "text.h"

/* The parser's buffers, kept from record to record (r->fs). */
struct json {
	struct kx_jkeys keys;   /* of the objects open (text.h: the duplicate-key rule) */
};

struct jp {
	struct kx_rows *r;
	struct json *js;
	struct kx_batch *b;
	const char *s, *p, *e;  /* record text, cursor, end */
	size_t depth;
	size_t row0;            /* b->n at the record's start */
	size_t rows;            /* rows of x seen */
	const char *x_at;
	int rank;               /* of x: 1 or 2 */
	int has_x, has_id, top_array;
	/* deferred (semantic) errors, reported once the record parsed */
	const char *w_at;       /* first row of the wrong width */
	size_t w_row, w_got;
	int ragged;             /* x is nested deeper than 2 */
	char shape[160];
	size_t id_off, id_len;
	int id_kind;
};

/* A record the API would refuse with 422 (JSON that does not parse, a
 * missing x, an element of x that is not a number), or with 400 (J400:
 * the shape of x, the width, a value beyond float32). */
#define JFAIL(j, at, ...) ((j)->r->fail_status = 422, fail_json((j), (at), KX_EXIT_BADINPUT, __VA_ARGS__), -1)
#define J400(j, at, ...) (fail_json((j), (at), KX_EXIT_BADINPUT, __VA_ARGS__), -1)

static void
fail_json(struct jp *j, const char *at, int code, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void
fail_json(struct jp *j, const char *at, int code, const char *fmt, ...)
{
	char msg[900];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	if (j->r->fmt == KX_IN_JSONL)
		rd_fail_at(j->r, (size_t)(at - j->r->buf), code, "record %zu: %s", j->r->recno, msg);
	else
		rd_fail_at(j->r, (size_t)(at - j->r->buf), code, "%s", msg);
}

static void
j_ws(struct jp *j)
{
	while (j->p < j->e && (*j->p == ' ' || *j->p == '\t' || *j->p == '\n' || *j->p == '\r'))
		j->p++;
}

/* Refuse whatever is at j->p where a value or punctuation was expected. */
static int
j_unexpected(struct jp *j, const char *expected)
{
	char s[64];
	const unsigned char *p = (const unsigned char *)j->p;

	if (j->p >= j->e)
		return JFAIL(j, j->p, "unexpected end of %s; expected %s",
		             j->r->fmt == KX_IN_API ? "the document" : "the line", expected);
	if (*p == 0)
		return JFAIL(j, j->p, "NUL byte in input");
	if (*p >= 0x80 && kx_utf8_len(p, (size_t)(j->e - j->p)) == 0)
		return JFAIL(j, j->p, "invalid UTF-8");
	rd_show(j->p, (size_t)(j->e - j->p) < 12 ? (size_t)(j->e - j->p) : 12, s, sizeof s);
	return JFAIL(j, j->p, "expected %s, got %s", expected, s);
}

/* Whether byte c of a validated JSON text belongs to a string (its quotes
 * included), scanning left to right; *instr and *bs carry the state
 * (inside a string, after a backslash) from one byte to the next. */
static int
j_in_string(char c, int *instr, int *bs)
{
	if (*instr) {
		if (*bs)
			*bs = 0;
		else if (c == '\\')
			*bs = 1;
		else if (c == '"')
			*instr = 0;
		return 1;
	}
	if (c == '"') {
		*instr = 1;
		return 1;
	}
	return 0;
}

/* After an item of an object or array (close is '}' or ']'): skip
 * whitespace and the ',' (1: another item) or the closing bracket (0: the
 * end), or refuse what is there (-1). */
static int
j_after_item(struct jp *j, char close)
{
	j_ws(j);
	if (j->p < j->e && *j->p == ',') {
		j->p++;
		return 1;
	}
	if (j->p < j->e && *j->p == close) {
		j->p++;
		return 0;
	}
	return j_unexpected(j, close == '}' ? "',' or '}'" : "',' or ']'");
}


/* Refuse a string kx_json_string found bad (code) at at. */
static int
j_string_fault(struct jp *j, enum kx_jstr code, const char *at)
{
	switch (code) {
	case KX_JSTR_CONTROL:
		return JFAIL(j, at, *at == 0 ? "NUL byte in input" : "control character in a string (escape it)");
	case KX_JSTR_ESCAPE:
		return JFAIL(j, at, "invalid escape in a string");
	case KX_JSTR_HEX:
		return JFAIL(j, at, "invalid \\u escape in a string");
	case KX_JSTR_HIGH_HEX:
		return JFAIL(j, at + 6, "invalid \\u escape in a string");
	case KX_JSTR_LONE_LOW:
		return JFAIL(j, at, "lone low surrogate in a string");
	case KX_JSTR_LONE_HIGH:
	case KX_JSTR_HIGH_NOT_LOW:
		return JFAIL(j, at, "lone high surrogate in a string");
	case KX_JSTR_UTF8:
		return JFAIL(j, at, "invalid UTF-8");
	default:
		return JFAIL(j, at, "unterminated string");
	}
}

/* Validate the string at j->p (which is '"'); leave p after it. *esc is
 * set when it holds escapes (the raw bytes then differ from the text). */
static int
j_string(struct jp *j, int *esc)
{
	const char *end, *at;
	unsigned long cp;
	int flags;
	enum kx_jstr code = kx_json_string(j->p, j->e, &end, &at, &cp, &flags);

	if (code != KX_JSTR_OK)
		return j_string_fault(j, code, at);
	*esc = flags & 1;
	j->p = end;
	return 0;
}

/* The end of the JSON number at p, or NULL when there is none. */
static const char *
num_end(const char *p, const char *e)
{
	const char *end;

	return kx_json_number(p, e, &end) == KX_JNUM_OK ? end : NULL;
}

/* Refuse the number that starts at start. */
static int
j_number_fault(struct jp *j, const char *start)
{
	char s[64];
	const char *z = start, *e = j->e;

	while (z < e && z - start < 24 && *z != ',' && *z != ']' && *z != '}' &&
	       *z != ' ' && *z != '\t' && *z != '\r' && *z != '\n')
		z++;
	rd_show(start, (size_t)(z - start), s, sizeof s);
	return JFAIL(j, start, "invalid number %s (plain decimal JSON numbers only)", s);
}

static int j_value(struct jp *j);

static int
j_enter(struct jp *j)
{
	if (++j->depth > j->r->o.lim->json_depth)
		return JFAIL(j, j->p, "nested deeper than %zu levels", j->r->o.lim->json_depth);
	return 0;
}

/* Refuse the duplicate key d (offsets from the record's start). */
static int
j_dup(struct jp *j, const struct kx_jdup *d)
{
	char s[96];

	rd_show(d->name, d->len, s, sizeof s);
	return JFAIL(j, j->s + d->at, "duplicate key %s", s);
}

static int
j_oom(struct jp *j)
{
	j->r->oom = 1;
	rd_fail_oom(j->r);
	return -1;
}

static int j_x(struct jp *j);
static int j_id(struct jp *j);

/* The record's object at j->p: its "x" and "id" are read, the other
 * values checked (j_value). */
static int
j_object(struct jp *j)
{
	struct kx_jkeys *ks = &j->js->keys;
	struct kx_jmark m = kx_jkeys_open(ks);
	struct kx_jdup d;
	const char *at;
	int esc, rc;

	if (j_enter(j) != 0)
		return -1;
	j->p++;
	j_ws(j);
	if (j->p < j->e && *j->p == '}') {
		j->p++;
		goto done;
	}
	for (;;) {
		j_ws(j);
		if (j->p >= j->e || *j->p != '"')
			return j_unexpected(j, "a string key");
		at = j->p;
		if (j_string(j, &esc) != 0)
			return -1;
		rc = kx_jkeys_add(ks, &m, at, (size_t)(j->p - at), esc, (size_t)(at - j->s), &d);
		if (rc != 0)
			return rc < 0 ? j_oom(j) : j_dup(j, &d);
		j_ws(j);
		if (j->p >= j->e || *j->p != ':')
			return j_unexpected(j, "':'");
		j->p++;
		j_ws(j);
		if (ks->v[ks->n - 1].len == 1 && ks->buf[ks->v[ks->n - 1].off] == 'x')
			rc = j_x(j);
		else if (ks->v[ks->n - 1].len == 2 && memcmp(ks->buf + ks->v[ks->n - 1].off, "id", 2) == 0)
			rc = j_id(j);
		else
			rc = j_value(j);
		if (rc != 0)
			return -1;
		int more = j_after_item(j, '}');
		if (more < 0)
			return -1;
		if (more == 0)
			break;
	}
done:
	rc = kx_jkeys_close(ks, &m, &d);
	if (rc != 0)
		return rc < 0 ? j_oom(j) : j_dup(j, &d);
	j->depth--;
	return 0;
}

/* Validate any value at j->p (its contents are not kept): text.c's
 * walker, its faults worded here. */
static int
j_value(struct jp *j)
{
	struct kx_jfault f;
	const char *end = kx_json_skip(j->p, j->e, j->s, j->depth, j->r->o.lim->json_depth, &j->js->keys, &f);

	if (end) {
		j->p = end;
		return 0;
	}
	j->p = f.at;
	switch (f.code) {
	case KX_JSKIP_KEY:
		return j_unexpected(j, "a string key");
	case KX_JSKIP_COLON:
		return j_unexpected(j, "':'");
	case KX_JSKIP_COMMA:
		return j_unexpected(j, f.close == '}' ? "',' or '}'" : "',' or ']'");
	case KX_JSKIP_STRING:
		return j_string_fault(j, f.jstr, f.at);
	case KX_JSKIP_NUMBER:
		return j_number_fault(j, f.at);
	case KX_JSKIP_DEEP:
		return JFAIL(j, f.at, "nested deeper than %zu levels", j->r->o.lim->json_depth);
	case KX_JSKIP_DUP:
		return j_dup(j, &f.dup);
	case KX_JSKIP_OOM:
		return j_oom(j);
	default:
		return j_unexpected(j, "a JSON value");
	}
}

/* The "id": a string is kept as its text, anything else as compact JSON. */
static int
j_id(struct jp *j)
{
	struct kx_batch *b = j->b;
	const char *at = j->p, *p;
	size_t o;
	int esc, instr = 0, bs = 0;

	if (j->has_id)
		return JFAIL(j, at, "duplicate key \"id\"");
	j->has_id = 1;
	if (j->p < j->e && *j->p == '"') {
		if (j_string(j, &esc) != 0)
			return -1;
		if (kx_batch_ids(b, (size_t)(j->p - at)) != 0)
			goto oom;
		j->id_off = b->ids_len;
		j->id_len = esc ? kx_json_unescape(at + 1, (size_t)(j->p - at) - 2, b->ids + b->ids_len)
		                : (size_t)(j->p - at) - 2;
		if (!esc)
			memcpy(b->ids + b->ids_len, at + 1, j->id_len);
		b->ids_len += j->id_len;
		j->id_kind = KX_ID_TEXT;
		return 0;
	}
	if (j_value(j) != 0)
		return -1;
	if (kx_batch_ids(b, (size_t)(j->p - at)) != 0)
		goto oom;
	o = b->ids_len;
	for (p = at; p < j->p; p++) {
		char c = *p;
		if (!j_in_string(c, &instr, &bs) && (c == ' ' || c == '\t' || c == '\n' || c == '\r'))
			continue;
		b->ids[o++] = c;
	}
	j->id_off = b->ids_len;
	j->id_len = o - b->ids_len;
	b->ids_len = o;
	j->id_kind = KX_ID_JSON;
	return 0;
oom:
	return j_oom(j);
}

/* numpy-like shape of the (validated) x value at p: the length of each
 * level, following first elements. Returns the rank. */
static size_t
j_shape(const char *p, const char *e, size_t *dims, size_t maxd)
{
	size_t rank = 0, depth, count;
	const char *q;
	int instr, bs;

	while (p < e && rank < maxd) {
		while (p < e && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
			p++;
		if (p >= e || *p != '[')
			break;
		/* count the elements of this array */
		q = p + 1;
		while (q < e && (*q == ' ' || *q == '\t' || *q == '\n' || *q == '\r'))
			q++;
		count = (q < e && *q == ']') ? 0 : 1;
		depth = 0;
		instr = bs = 0;
		for (q = p + 1; q < e; q++) {
			char c = *q;
			if (j_in_string(c, &instr, &bs))
				continue;
			if (c == '[' || c == '{') {
				depth++;
			} else if (c == ']' || c == '}') {
				if (depth == 0)
					break;
				depth--;
			} else if (c == ',' && depth == 0) {
				count++;
			}
		}
		dims[rank++] = count;
		if (count == 0)
			break;
		p++;
	}
	return rank;
}

/* One row of x: j->p is just after its '['. ri: the row's index (for
 * messages). Returns 0, -1 (error set), or 1 when an element is an array
 * (x is nested too deep: the caller re-reads x to say so). */
static int
j_row(struct jp *j, size_t ri)
{
	struct kx_rows *r = j->r;
	struct kx_batch *b = j->b;
	const char *row_at = j->p - 1, *t, *z;
	char at_[48];
	size_t count = 0, in = r->in;
#define AT_ (j->rank == 2 ? snprintf(at_, sizeof at_, "x[%zu][%zu]", ri, count) : \
             snprintf(at_, sizeof at_, "x[%zu]", count), at_)
	float *row, v;
	double *row64 = NULL, d;
	int st;

	if (j->rows < r->o.lim->max_batch) {
		if (kx_batch_rows(b, j->row0 + j->rows + 1) != 0) {
			r->oom = 1;
			rd_fail_oom(r);
			return -1;
		}
		row = b->x + (j->row0 + j->rows) * in;
		if (b->x64)
			row64 = b->x64 + (j->row0 + j->rows) * in;
	} else {
		row = r->dummy;  /* past the max batch: parse, count, and drop */
		if (b->x64)
			row64 = (double *)(void *)r->dummy;  /* it holds doubles */
	}
	j_ws(j);
	if (j->p < j->e && *j->p == ']') {
		j->p++;
		goto end;
	}
	for (;;) {
		j_ws(j);
		t = j->p;
		z = num_end(t, j->e);
		if (z && (z == j->e || *z == ',' || *z == ']' || *z == ' ' || *z == '\t' ||
		          *z == '\r' || *z == '\n')) {
			j->p = z;
			goto number;
		}
		/* not a number: find the token (up to the next delimiter) to say why */
		for (z = t; z < j->e && *z != ',' && *z != ']' && *z != '[' && *z != '{' && *z != '"' &&
		     *z != ' ' && *z != '\t' && *z != '\r' && *z != '\n'; z++)
			;
		if (t < j->e && *t == '[')
			return 1;
		if (t < j->e && (*t == '"' || *t == '{')) {
			if (j_value(j) != 0)
				return -1;
			return JFAIL(j, t, "%s: expected a number, got %s", AT_, *t == '"' ? "a string" : "an object");
		}
		if (z == t)
			return j_unexpected(j, "a number");
		if ((size_t)(z - t) == 4 && memcmp(t, "null", 4) == 0)
			return JFAIL(j, t, "%s: expected a number, got null", AT_);
		if (((size_t)(z - t) == 4 && memcmp(t, "true", 4) == 0) ||
		    ((size_t)(z - t) == 5 && memcmp(t, "false", 5) == 0))
			return JFAIL(j, t, "%s: expected a number, got %.*s", AT_, (int)(z - t), t);
		{
			char s[64];
			if (memchr(t, 0, (size_t)(z - t)))
				return JFAIL(j, t + strlen(t), "NUL byte in input");
			if (kx_utf8_bad(t, (size_t)(z - t)) >= 0)
				return JFAIL(j, t + kx_utf8_bad(t, (size_t)(z - t)), "invalid UTF-8");
			rd_show(t, (size_t)(z - t), s, sizeof s);
			return JFAIL(j, t, "%s: expected a plain decimal number, got %s", AT_, s);
		}
number:
		if (count < in) {
			if (row64) {
				st = kx_parse_double(t, (size_t)(j->p - t), &d);
				v = 0.0f;
			} else {
				st = kx_parse_float(t, (size_t)(j->p - t), &v);
				d = v;
			}
			if (st != KX_NUM_OK) {
				char s[64];
				rd_show(t, (size_t)(j->p - t), s, sizeof s);
				return J400(j, t, "%s: %s is out of the %s range", AT_, s,
				            row64 ? "float64" : "float32");
			}
			if (row64)
				row64[count] = d;
			else
				row[count] = v;
			if (r->o.range && (d < r->o.lo || d > r->o.hi)) {
				r->rec_oor++;
				if (r->o.strict_range) {
					char lo[KX_FLOAT_BUF], hi[KX_FLOAT_BUF];
					kx_format_float(r->o.lo, lo);
					kx_format_float(r->o.hi, hi);
					return J400(j, t, "%s: %.*s is outside the grid range [%s, %s] of layer 0 (--strict-range)",
					             AT_, (int)(j->p - t), t, lo, hi);
				}
			}
		}
		count++;
		int more = j_after_item(j, ']');
		if (more < 0)
			return -1;
		if (more == 0)
			break;
	}
end:
	if (count != in && !j->w_at) {
		j->w_at = row_at;
		j->w_row = ri;
		j->w_got = count;
	}
	j->rows++;
	return 0;
#undef AT_
}

/* x: a 1-D (one sample) or 2-D array of numbers. */
static int
j_x(struct jp *j)
{
	size_t depth0 = j->depth, dims[72], rank, i, o;
	int rc;

	if (j->has_x)
		return JFAIL(j, j->p, "duplicate key \"x\"");
	j->has_x = 1;
	j->x_at = j->p;
	if (j->r->learn && !j->r->width_set) {
		/* the width of x's first row */
		rank = j_shape(j->p, j->e, dims, 2);
		j->r->in = rank == 0 ? 0 : dims[rank - 1];
		j->r->width_set = 1;
		if (rd_batch_width(j->r, j->b) != 0) {
			j->r->oom = 1;
			rd_fail_oom(j->r);
			return -1;
		}
	}
	if (j->p >= j->e || *j->p != '[') {
		if (j->p < j->e && (*j->p == '-' || (*j->p >= '0' && *j->p <= '9'))) {
			if (j_value(j) != 0)
				return -1;
			j->ragged = 1;
			snprintf(j->shape, sizeof j->shape, "x must be 1-D or 2-D; got shape []");
			return 0;
		}
		if (j_value(j) != 0)
			return -1;
		return JFAIL(j, j->x_at, "x must be an array of numbers");
	}
	if (j_enter(j) != 0)
		return -1;
	j->p++;
	j_ws(j);
	if (j->p < j->e && *j->p == '[') {
		j->rank = 2;
		for (i = 0;; i++) {
			j_ws(j);
			if (j->p >= j->e || *j->p != '[') {
				if (j->p < j->e && (*j->p == '-' || (*j->p >= '0' && *j->p <= '9')))
					goto deep;  /* a number among rows: ragged */
				return j_unexpected(j, "'[' (a row of x)");
			}
			if (j_enter(j) != 0)
				return -1;
			j->p++;
			rc = j_row(j, i);
			if (rc < 0)
				return -1;
			if (rc > 0)
				goto deep;
			j->depth--;
			int more = j_after_item(j, ']');
			if (more < 0)
				return -1;
			if (more == 0)
				break;
		}
	} else {
		j->rank = 1;
		rc = j_row(j, 0);
		if (rc < 0)
			return -1;
		if (rc > 0)
			goto deep;
	}
	j->depth = depth0;
	return 0;
deep:
	/* re-read x as any JSON value (syntax errors come first), then say
	 * what its shape is */
	j->p = j->x_at;
	j->depth = depth0;
	if (j_value(j) != 0)
		return -1;
	rank = j_shape(j->x_at, j->p, dims, sizeof dims / sizeof dims[0]);
	j->ragged = 1;
	if (rank <= 2) {
		snprintf(j->shape, sizeof j->shape, "x must be 1-D or 2-D; got a ragged array");
		return 0;
	}
	o = (size_t)snprintf(j->shape, sizeof j->shape, "x must be 1-D or 2-D; got shape [");
	for (i = 0; i < rank && o + 24 < sizeof j->shape; i++)
		o += (size_t)snprintf(j->shape + o, sizeof j->shape - o, "%s%zu", i ? ", " : "", dims[i]);
	snprintf(j->shape + o, sizeof j->shape - o, "]");
	return 0;
}

int
rd_json_open(struct kx_rows *r)
{
	if (r->o.columns || r->o.keep || r->o.keep_all) {
		kx_err_set(r->e, KX_EXIT_USAGE, "%s: --columns and --keep pick CSV and TSV columns; "
		           "this input is %s", r->name, r->f->title);
		return -1;
	}
	if (!(r->fs = calloc(1, sizeof(struct json)))) {
		rd_fail_oom(r);
		return -1;
	}
	return 0;
}

void
rd_json_close(struct kx_rows *r)
{
	struct json *js = r->fs;

	if (!js)
		return;
	kx_jkeys_free(&js->keys);
	free(js);
	r->fs = NULL;
}

/* Parse the current record (buf[rs, re)) as JSON into the batch. */
int
rd_json_record(struct kx_rows *r, struct kx_batch *b)
{
	struct json *js = r->fs;
	struct kx_rec *rec;
	struct jp j;
	int rc;

	memset(&j, 0, sizeof j);
	j.r = r;
	j.js = js;
	j.b = b;
	j.s = j.p = r->buf + r->rs;
	j.e = r->buf + r->re;
	j.row0 = b->n;
	kx_jkeys_reset(&js->keys);
	j_ws(&j);
	if (j.p < j.e && *j.p == '{') {
		rc = j_object(&j);
	} else if (j.p < j.e && *j.p == '[' && r->fmt == KX_IN_JSONL) {
		j.top_array = 1;
		rc = j_x(&j);
	} else {
		return j_unexpected(&j, r->fmt == KX_IN_API ? "an object {\"x\": ...}"
		                                            : "an array or an object {\"x\": ...}");
	}
	if (rc != 0)
		return -1;
	j_ws(&j);
	if (j.p < j.e) {
		if (*j.p == 0)
			return JFAIL(&j, j.p, "NUL byte in input");
		return JFAIL(&j, j.p, "trailing characters after the JSON value");
	}
	if (!j.has_x)
		return JFAIL(&j, j.s, "missing \"x\"");
	if (j.ragged)
		return J400(&j, j.x_at, "%s", j.shape);
	if (j.rows > r->o.lim->max_batch) {
		fail_json(&j, j.x_at, KX_EXIT_TOOBIG, "batch of %zu rows exceeds the max batch of %zu (413)",
		          j.rows, r->o.lim->max_batch);
		return -1;
	}
	if (j.w_at) {
		if (j.rank == 2)
			return J400(&j, j.w_at, "x[%zu]: Expected %zu features per sample, got %zu",
			             j.w_row, r->in, j.w_got);
		return J400(&j, j.w_at, "Expected %zu features per sample, got %zu", r->in, j.w_got);
	}
	/* commit */
	if ((rec = kx_batch_rec(b)) == NULL) {
		r->oom = 1;
		rd_fail_oom(r);
		return -1;
	}
	{
		rec->row = b->n;
		rec->n = j.rows;
		rec->line = r->rec_line;
		rec->form = r->fmt == KX_IN_API ? KX_FORM_API : j.top_array ? KX_FORM_ARRAY : KX_FORM_OBJECT;
		rec->rank = (unsigned char)j.rank;
		rec->id_kind = j.has_id ? (unsigned char)j.id_kind : KX_ID_NONE;
		rec->id_off = j.id_off;
		rec->id_len = j.id_len;
	}
	b->n += j.rows;
	return 0;
}

