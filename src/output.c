/* output.c - predict's output writers (see output.h). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "limits.h"
#include "numfmt.h"
#include "output.h"

#define OUT_BUF ((size_t)1 << 20)

struct kx_out {
	FILE *f;
	enum kx_out_fmt fmt;
	size_t width;
	int prec;
	int header, header_done;
	char *id_name;          /* CSV/TSV id column, or NULL */
	char *buf;
	size_t len, cap;
};

const char *
kx_out_fmt_name(enum kx_out_fmt f)
{
	switch (f) {
	case KX_OUT_TSV: return "tsv";
	case KX_OUT_JSONL: return "jsonl";
	case KX_OUT_API: return "api";
	default: return "csv";
	}
}

int
kx_out_fmt_lookup(const char *s, enum kx_out_fmt *out)
{
	static const enum kx_out_fmt all[] = { KX_OUT_CSV, KX_OUT_TSV, KX_OUT_JSONL, KX_OUT_API };
	size_t i;

	for (i = 0; i < sizeof all / sizeof all[0]; i++)
		if (strcmp(s, kx_out_fmt_name(all[i])) == 0) {
			*out = all[i];
			return 0;
		}
	return -1;
}

struct kx_out *
kx_out_new(FILE *f, enum kx_out_fmt fmt, size_t width, int prec, int header)
{
	struct kx_out *o = calloc(1, sizeof *o);

	if (!o)
		return NULL;
	o->f = f;
	o->fmt = fmt;
	o->width = width;
	o->prec = prec;
	o->header = header && (fmt == KX_OUT_CSV || fmt == KX_OUT_TSV);
	o->cap = OUT_BUF;
	o->buf = malloc(o->cap);
	if (!o->buf) {
		free(o);
		return NULL;
	}
	return o;
}

void
kx_out_free(struct kx_out *o)
{
	if (!o)
		return;
	free(o->buf);
	free(o->id_name);
	free(o);
}

int
kx_out_set_id(struct kx_out *o, const char *name)
{
	char *s = strdup(name);

	if (!s)
		return -1;
	free(o->id_name);
	o->id_name = s;
	return 0;
}

static int
emit(struct kx_out *o)
{
	if (o->len > 0 && fwrite(o->buf, 1, o->len, o->f) != o->len) {
		o->len = 0;
		return -1;
	}
	o->len = 0;
	return 0;
}

/* Make room for need more bytes in the buffer. */
static int
ensure(struct kx_out *o, size_t need)
{
	char *nb;

	if (o->cap - o->len >= need)
		return 0;
	if (emit(o) != 0)
		return -1;
	if (need > o->cap) {
		nb = realloc(o->buf, need);
		if (!nb)
			return -1;
		o->buf = nb;
		o->cap = need;
	}
	return 0;
}

size_t
kx_out_pending(const struct kx_out *o)
{
	return o->len;
}

int
kx_out_flush(struct kx_out *o)
{
	if (emit(o) != 0)
		return -1;
	return fflush(o->f) == 0 && !ferror(o->f) ? 0 : -1;
}

static char *
put(char *p, const char *s, size_t n)
{
	memcpy(p, s, n);
	return p + n;
}

static char *
num(const struct kx_out *o, char *p, float v, int json)
{
	if (json && !isfinite(v))
		return put(p, "null", 4);
	return p + (o->prec ? kx_format_float_prec(v, o->prec, p) : kx_format_float(v, p));
}

/* Worst-case bytes of a text as a quoted CSV field or a JSON string. */
static size_t
text_room(size_t len)
{
	size_t r;

	if (kx_mul(len, 6, &r) != 0 || kx_add(r, 8, &r) != 0)
		return SIZE_MAX;
	return r;
}

static char *
csv_text(char *p, const char *s, size_t n, char delim)
{
	size_t i;
	int q = n > 0 && (s[0] == ' ' || s[n - 1] == ' ');

	for (i = 0; i < n && !q; i++)
		q = s[i] == delim || s[i] == '"' || s[i] == '\n' || s[i] == '\r';
	if (!q)
		return put(p, s, n);
	*p++ = '"';
	for (i = 0; i < n; i++) {
		if (s[i] == '"')
			*p++ = '"';
		*p++ = s[i];
	}
	*p++ = '"';
	return p;
}

static char *
json_text(char *p, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	size_t i;

	*p++ = '"';
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '"' || c == '\\') {
			*p++ = '\\';
			*p++ = (char)c;
		} else if (c >= 0x20) {
			*p++ = (char)c;
		} else if (c == '\n') {
			p = put(p, "\\n", 2);
		} else if (c == '\t') {
			p = put(p, "\\t", 2);
		} else if (c == '\r') {
			p = put(p, "\\r", 2);
		} else {
			p = put(p, "\\u00", 4);
			*p++ = hex[c >> 4];
			*p++ = hex[c & 15];
		}
	}
	*p++ = '"';
	return p;
}

int
kx_out_begin(struct kx_out *o)
{
	char delim = o->fmt == KX_OUT_TSV ? '\t' : ',';
	char *p;
	size_t i, need;

	if (!o->header || o->header_done)
		return 0;
	o->header_done = 1;
	if (kx_mul(o->width, 24, &need) != 0 ||
	    kx_add(need, o->id_name ? text_room(strlen(o->id_name)) : 0, &need) != 0 ||
	    ensure(o, need) != 0)
		return -1;
	p = o->buf + o->len;
	if (o->id_name) {
		p = csv_text(p, o->id_name, strlen(o->id_name), delim);
		if (o->width)
			*p++ = delim;
	}
	for (i = 0; i < o->width; i++) {
		if (i)
			*p++ = delim;
		p += snprintf(p, 24, "y%zu", i);
	}
	*p++ = '\n';
	o->len = (size_t)(p - o->buf);
	return 0;
}

/* Bytes one row of values may take. */
static size_t
row_room(const struct kx_out *o)
{
	size_t r;

	if (kx_mul(o->width, KX_FLOAT_BUF + 1, &r) != 0 || kx_add(r, 16, &r) != 0)
		return SIZE_MAX;
	return r;
}

static char *
json_row(const struct kx_out *o, char *p, const float *y)
{
	size_t i;

	*p++ = '[';
	for (i = 0; i < o->width; i++) {
		if (i)
			*p++ = ',';
		p = num(o, p, y[i], 1);
	}
	*p++ = ']';
	return p;
}

static int
out_text_rows(struct kx_out *o, const struct kx_batch *b)
{
	char delim = o->fmt == KX_OUT_TSV ? '\t' : ',';
	size_t r, i, k, room = row_room(o), need;
	const struct kx_rec *rec;
	char *p;

	for (k = 0; k < b->n_recs; k++) {
		rec = &b->recs[k];
		need = room;
		if (o->id_name && kx_add(need, text_room(rec->id_len), &need) != 0)
			return -1;
		for (r = rec->row; r < rec->row + rec->n; r++) {
			const float *y = b->y + r * b->out;
			if (ensure(o, need) != 0)
				return -1;
			p = o->buf + o->len;
			if (o->id_name) {
				if (rec->id_kind != KX_ID_NONE)
					p = csv_text(p, b->ids + rec->id_off, rec->id_len, delim);
				if (o->width)
					*p++ = delim;
			}
			for (i = 0; i < o->width; i++) {
				if (i)
					*p++ = delim;
				p = num(o, p, y[i], 0);
			}
			*p++ = '\n';
			o->len = (size_t)(p - o->buf);
		}
	}
	return 0;
}

static int
out_jsonl(struct kx_out *o, const struct kx_batch *b)
{
	size_t r, k, room = row_room(o), need;
	const struct kx_rec *rec;
	char *p;
	int obj;

	for (k = 0; k < b->n_recs; k++) {
		rec = &b->recs[k];
		obj = rec->form == KX_FORM_OBJECT || rec->form == KX_FORM_API ||
		      (rec->form == KX_FORM_ROW && rec->id_kind != KX_ID_NONE);
		if (ensure(o, text_room(rec->id_len) + 32) != 0)
			return -1;
		p = o->buf + o->len;
		if (obj) {
			if (rec->id_kind == KX_ID_TEXT) {
				p = put(p, "{\"id\":", 6);
				p = json_text(p, b->ids + rec->id_off, rec->id_len);
				p = put(p, ",\"y\":", 5);
			} else if (rec->id_kind == KX_ID_JSON) {
				p = put(p, "{\"id\":", 6);
				p = put(p, b->ids + rec->id_off, rec->id_len);
				p = put(p, ",\"y\":", 5);
			} else {
				p = put(p, "{\"y\":", 5);
			}
		}
		if (rec->rank == 2)
			*p++ = '[';
		o->len = (size_t)(p - o->buf);
		for (r = rec->row; r < rec->row + rec->n; r++) {
			if (ensure(o, room + 4) != 0)
				return -1;
			p = o->buf + o->len;
			if (r > rec->row)
				*p++ = ',';
			p = json_row(o, p, b->y + r * b->out);
			o->len = (size_t)(p - o->buf);
		}
		need = 4;
		if (ensure(o, need) != 0)
			return -1;
		p = o->buf + o->len;
		if (rec->rank == 2)
			*p++ = ']';
		if (obj)
			*p++ = '}';
		*p++ = '\n';
		o->len = (size_t)(p - o->buf);
	}
	return 0;
}

static int
out_api(struct kx_out *o, const struct kx_batch *b, double ms)
{
	size_t r, room = row_room(o);
	char *p;

	if (b->n == 0)
		return 0;
	if (ensure(o, 16) != 0)
		return -1;
	o->len += (size_t)snprintf(o->buf + o->len, 16, "{\"output\":[");
	for (r = 0; r < b->n; r++) {
		if (ensure(o, room + 4) != 0)
			return -1;
		p = o->buf + o->len;
		if (r)
			*p++ = ',';
		p = json_row(o, p, b->y + r * b->out);
		o->len = (size_t)(p - o->buf);
	}
	if (ensure(o, 128) != 0)
		return -1;
	o->len += (size_t)snprintf(o->buf + o->len, 128, "],\"shape\":[%zu,%zu],\"inference_ms\":%.3f}\n",
	                           b->n, o->width, ms);
	return 0;
}

int
kx_out_batch(struct kx_out *o, const struct kx_batch *b, double ms)
{
	if (kx_out_begin(o) != 0)
		return -1;
	switch (o->fmt) {
	case KX_OUT_JSONL:
		return out_jsonl(o, b);
	case KX_OUT_API:
		return out_api(o, b, ms);
	default:
		return out_text_rows(o, b);
	}
}
