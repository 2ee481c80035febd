/* output.c - predict's output writers (see output.h). */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kxlimits.h"
#include "numfmt.h"
#include "output.h"
#include "text.h"

#define OUT_BUF ((size_t)1 << 20)

struct kx_out {
	struct kx_sink *s;
	enum kx_out_fmt fmt;
	size_t width;
	int prec;
	int header, header_done;
	char *id_name;          /* CSV/TSV id column, or NULL */
	char **keep, **keep_key;  /* kept columns: names (CSV/TSV), JSON keys */
	size_t n_keep;
	char **names;           /* output column names (CSV/TSV header), or NULL: y0.. */
	size_t keys_room;       /* bytes the keep keys take as JSON */
	char *kb;               /* API: the kept values of the open response's rows */
	size_t kb_len, kb_cap;
	char *buf;
	size_t len, cap;
	/* the whole units in buf: unit i ends at u_end[i], and units 0..i
	 * hold u_rows[i] rows; text after the last one is a unit being formed */
	size_t *u_end, *u_rows;
	size_t n_u, cap_u;
	size_t rows_done;       /* rows written whole */
	/* API output of records that are not API documents: the response
	 * being filled holds open_rows rows (none open when 0) */
	size_t group;
	size_t open_rows;
	double open_ms;
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
kx_out_new(struct kx_sink *s, enum kx_out_fmt fmt, size_t width, int prec, int header, size_t group)
{
	struct kx_out *o = calloc(1, sizeof *o);

	if (!o)
		return NULL;
	o->s = s;
	o->fmt = fmt;
	o->width = width;
	o->prec = prec;
	o->header = header && (fmt == KX_OUT_CSV || fmt == KX_OUT_TSV);
	o->group = group ? group : 1;
	o->cap = OUT_BUF;
	o->buf = malloc(o->cap);
	if (!o->buf) {
		free(o);
		return NULL;
	}
	return o;
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

static void
free_list(char **v, size_t n)
{
	size_t i;

	for (i = 0; v && i < n; i++)
		free(v[i]);
	free(v);
}

static char **
dup_list(const char *const *v, size_t n)
{
	char **d = calloc(n ? n : 1, sizeof *d);
	size_t i;

	for (i = 0; d && i < n; i++)
		if (!(d[i] = strdup(v[i]))) {
			free_list(d, n);
			return NULL;
		}
	return d;
}

int
kx_out_set_keep(struct kx_out *o, const char *const *names, size_t n, int id_first)
{
	free_list(o->keep, o->n_keep);
	free_list(o->keep_key, o->n_keep);
	o->n_keep = 0;
	o->keep = dup_list(names, n);
	o->keep_key = dup_list(names, n);
	if (!o->keep || !o->keep_key)
		return -1;
	if (id_first && n > 0) {
		free(o->keep_key[0]);
		if (!(o->keep_key[0] = strdup("id")))
			return -1;
	}
	o->n_keep = n;
	o->keys_room = 0;
	for (n = 0; n < o->n_keep; n++)
		o->keys_room += text_room(strlen(o->keep_key[n])) + 2;
	return 0;
}

int
kx_out_set_names(struct kx_out *o, const char *const *names)
{
	free_list(o->names, o->width);
	o->names = dup_list(names, o->width);
	return o->names ? 0 : -1;
}

void
kx_out_free(struct kx_out *o)
{
	if (!o)
		return;
	free(o->buf);
	free(o->id_name);
	free_list(o->keep, o->n_keep);
	free_list(o->keep_key, o->n_keep);
	free_list(o->names, o->width);
	free(o->kb);
	free(o->u_end);
	free(o->u_rows);
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

size_t
kx_out_rows_written(const struct kx_out *o)
{
	return o->rows_done;
}

static int
oom(struct kx_out *o)
{
	if (!o->s->err)
		o->s->err = ENOMEM;
	return -1;
}

/* A unit of `rows` rows ends at buf[len). */
static int
unit(struct kx_out *o, size_t rows)
{
	if (o->n_u == o->cap_u) {
		size_t nc = o->cap_u ? o->cap_u * 2 : 4096;
		size_t *ne = kx_mallocarray(nc, sizeof *ne), *nr = kx_mallocarray(nc, sizeof *nr);
		if (!ne || !nr) {
			free(ne);
			free(nr);
			return oom(o);
		}
		if (o->n_u) {
			memcpy(ne, o->u_end, o->n_u * sizeof *ne);
			memcpy(nr, o->u_rows, o->n_u * sizeof *nr);
		}
		free(o->u_end);
		free(o->u_rows);
		o->u_end = ne;
		o->u_rows = nr;
		o->cap_u = nc;
	}
	o->u_end[o->n_u] = o->len;
	o->u_rows[o->n_u] = (o->n_u ? o->u_rows[o->n_u - 1] : 0) + rows;
	o->n_u++;
	return 0;
}

/* The units written whole: how many of them end at or before off. */
static size_t
units_upto(const struct kx_out *o, size_t off)
{
	size_t lo = 0, hi = o->n_u, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (o->u_end[mid] <= off)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* kx_bound_fn over the units (sink.h). */
static size_t
unit_bound(const char *p, size_t n, size_t off, int up, void *ctx)
{
	const struct kx_out *o = ctx;
	size_t k = units_upto(o, off);

	(void)p;
	if (up)
		return k > 0 && o->u_end[k - 1] == off ? off : k < o->n_u ? o->u_end[k] : n;
	return k > 0 ? o->u_end[k - 1] : 0;
}

/* Write the whole units out; keep the unit being formed. */
static int
emit(struct kx_out *o)
{
	size_t n, done, k;

	if (kx_sink_done(o->s))
		return -1;
	if (o->n_u == 0)
		return 0;
	n = o->u_end[o->n_u - 1];
	done = kx_sink_write(o->s, o->buf, n, unit_bound, o);
	if (done < n) {
		k = units_upto(o, done);
		o->rows_done += k ? o->u_rows[k - 1] : 0;
		o->n_u = 0;
		return -1;
	}
	o->rows_done += o->u_rows[o->n_u - 1];
	o->n_u = 0;
	memmove(o->buf, o->buf + n, o->len - n);
	o->len -= n;
	return 0;
}

/* Make room for need more bytes in the buffer. */
static int
ensure(struct kx_out *o, size_t need)
{
	size_t ncap;

	if (o->cap - o->len >= need)
		return 0;
	if (emit(o) != 0)
		return -1;
	if (o->cap - o->len >= need)
		return 0;
	/* a unit larger than the buffer (a long API response) */
	if (kx_add(o->len, need, &ncap) != 0 || kx_grow(&o->buf, &o->cap, ncap, 1) != 0)
		return oom(o);
	return 0;
}

int
kx_out_flush(struct kx_out *o)
{
	return emit(o);
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

/* A float64 output value: the shortest text that reads back as the
 * double (kx_format_double), or --precision's %.*g of it. */
static char *
num64(const struct kx_out *o, char *p, double v, int json)
{
	if (json && !isfinite(v))
		return put(p, "null", 4);
	if (o->prec && isfinite(v))
		return p + snprintf(p, KX_DOUBLE_BUF, "%.*g", o->prec, v);
	return p + kx_format_double(v, p);
}

/* Output i of row r of a batch with float64 outputs (b->y64): a float64
 * column's double, a float32 column's float value as num prints it. */
static char *
num_at(const struct kx_out *o, char *p, const struct kx_batch *b, size_t r, size_t i, int json)
{
	double v = b->y64[r * b->out + i];

	return b->y64_cols[i] ? num64(o, p, v, json) : num(o, p, (float)v, json);
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
	    kx_add(need, o->id_name ? text_room(strlen(o->id_name)) : 0, &need) != 0)
		return oom(o);
	for (i = 0; i < o->n_keep; i++)
		if (kx_add(need, text_room(strlen(o->keep[i])) + 1, &need) != 0)
			return oom(o);
	for (i = 0; o->names && i < o->width; i++)
		if (kx_add(need, text_room(strlen(o->names[i])) + 1, &need) != 0)
			return oom(o);
	if (ensure(o, need) != 0)
		return -1;
	p = o->buf + o->len;
	if (o->id_name) {
		p = csv_text(p, o->id_name, strlen(o->id_name), delim);
		if (o->width)
			*p++ = delim;
	}
	for (i = 0; i < o->n_keep; i++) {
		p = csv_text(p, o->keep[i], strlen(o->keep[i]), delim);
		if (i + 1 < o->n_keep || o->width)
			*p++ = delim;
	}
	for (i = 0; i < o->width; i++) {
		if (i)
			*p++ = delim;
		if (o->names)
			p = csv_text(p, o->names[i], strlen(o->names[i]), delim);
		else
			p += snprintf(p, 24, "y%zu", i);
	}
	*p++ = '\n';
	o->len = (size_t)(p - o->buf);
	return unit(o, 0);
}

/* Bytes one row of values may take. */
static size_t
row_room(const struct kx_out *o)
{
	size_t r;

	/* room for a float64 model's numbers too (KX_DOUBLE_BUF) */
	if (kx_mul(o->width, (KX_FLOAT_BUF > KX_DOUBLE_BUF ? KX_FLOAT_BUF : KX_DOUBLE_BUF) + 1, &r) != 0 ||
	    kx_add(r, 16, &r) != 0)
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

/* Row r of a batch with float64 outputs (b->y64) as CSV/TSV fields. */
static __attribute__((noinline)) char *
text_row64(const struct kx_out *o, char *p, const struct kx_batch *b, size_t r, char delim)
{
	size_t i;

	for (i = 0; i < o->width; i++) {
		if (i)
			*p++ = delim;
		p = num_at(o, p, b, r, i, 0);
	}
	return p;
}

/* The same for row r of a batch with float64 outputs (b->y64). */
static char *
json_row_at(const struct kx_out *o, char *p, const struct kx_batch *b, size_t r)
{
	size_t i;

	if (!b->y64)
		return json_row(o, p, b->y + r * b->out);
	*p++ = '[';
	for (i = 0; i < o->width; i++) {
		if (i)
			*p++ = ',';
		p = num_at(o, p, b, r, i, 1);
	}
	*p++ = ']';
	return p;
}

/* "k1":"v1",... for the kept fields f[0..n) (NUL-separated). */
static char *
keep_object_body(const struct kx_out *o, char *p, const char *f, size_t n)
{
	const char *fe = f + n, *z;
	size_t i;

	for (i = 0;; i++) {
		z = memchr(f, '\0', (size_t)(fe - f));
		z = z ? z : fe;
		if (i)
			*p++ = ',';
		if (i < o->n_keep)
			p += kx_json_quote(p, o->keep_key[i], strlen(o->keep_key[i]));
		else
			p = put(p, "\"?\"", 3);
		*p++ = ':';
		p += kx_json_quote(p, f, (size_t)(z - f));
		if (z == fe)
			return p;
		f = z + 1;
	}
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
		if ((o->id_name || rec->id_kind == KX_ID_FIELDS) &&
		    (kx_add(need, text_room(rec->id_len), &need) != 0 || kx_add(need, o->n_keep, &need) != 0))
			return oom(o);
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
			} else if (rec->id_kind == KX_ID_FIELDS) {
				const char *f = b->ids + rec->id_off, *fe = f + rec->id_len, *z;
				for (;;) {
					z = memchr(f, '\0', (size_t)(fe - f));
					z = z ? z : fe;
					p = csv_text(p, f, (size_t)(z - f), delim);
					if (z < fe || o->width)
						*p++ = delim;
					if (z == fe)
						break;
					f = z + 1;
				}
			}
			if (__builtin_expect(b->y64 != NULL, 0)) {
				p = text_row64(o, p, b, r, delim);
			} else {
				for (i = 0; i < o->width; i++) {
					if (i)
						*p++ = delim;
					p = num(o, p, y[i], 0);
				}
			}
			*p++ = '\n';
			o->len = (size_t)(p - o->buf);
			if (unit(o, 1) != 0)
				return -1;
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
		if (ensure(o, text_room(rec->id_len) + 32 + (rec->id_kind == KX_ID_FIELDS ? o->keys_room : 0)) != 0)
			return -1;
		p = o->buf + o->len;
		if (obj) {
			if (rec->id_kind == KX_ID_FIELDS) {
				*p++ = '{';
				p = keep_object_body(o, p, b->ids + rec->id_off, rec->id_len);
				p = put(p, ",\"y\":", 5);
			} else if (rec->id_kind == KX_ID_TEXT) {
				p = put(p, "{\"id\":", 6);
				p += kx_json_quote(p, b->ids + rec->id_off, rec->id_len);
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
			p = json_row_at(o, p, b, r);
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
		if (unit(o, rec->n) != 0)
			return -1;
	}
	return 0;
}

/* API responses: open one, add a row, close it as a unit. */
static int
api_open(struct kx_out *o)
{
	if (ensure(o, 16) != 0)
		return -1;
	o->len += (size_t)snprintf(o->buf + o->len, 16, "{\"output\":[");
	return 0;
}

static int
api_row(struct kx_out *o, const struct kx_batch *b, size_t r, int first)
{
	char *p;

	if (ensure(o, row_room(o) + 4) != 0)
		return -1;
	p = o->buf + o->len;
	if (!first)
		*p++ = ',';
	p = json_row_at(o, p, b, r);
	o->len = (size_t)(p - o->buf);
	return 0;
}

static int
api_close(struct kx_out *o, size_t rows, double ms)
{
	if (ensure(o, o->kb_len + 140) != 0)
		return -1;
	if (o->kb_len) {
		/* --keep: the kept columns of each row, beside "output" */
		memcpy(o->buf + o->len, "],\"keep\":[", 10);
		memcpy(o->buf + o->len + 10, o->kb, o->kb_len);
		o->len += 10 + o->kb_len;
		o->kb_len = 0;
	}
	o->len += (size_t)snprintf(o->buf + o->len, 128, "],\"shape\":[%zu,%zu],\"inference_ms\":%.3f}\n",
	                           rows, o->width, ms);
	return unit(o, rows);
}

/* API: the kept fields of a row of the open response, as an object. */
static int
api_keep(struct kx_out *o, const struct kx_batch *b, const struct kx_rec *rec)
{
	size_t need;

	if (kx_add(text_room(rec->id_len), o->keys_room + 4, &need) != 0 || kx_add(need, o->kb_len, &need) != 0 ||
	    kx_grow((void **)&o->kb, &o->kb_cap, need, 1) != 0)
		return oom(o);
	if (o->kb_len)
		o->kb[o->kb_len++] = ',';
	o->kb[o->kb_len++] = '{';
	o->kb_len = (size_t)(keep_object_body(o, o->kb + o->kb_len, b->ids + rec->id_off, rec->id_len) - o->kb);
	o->kb[o->kb_len++] = '}';
	return 0;
}

/* Close the response being filled, if any. */
static int
api_close_group(struct kx_out *o)
{
	size_t rows = o->open_rows;

	if (rows == 0)
		return 0;
	o->open_rows = 0;
	return api_close(o, rows, o->open_ms);
}

/* An API document gets a response of its own; the rows of other records
 * fill responses of `group` rows, across records and batches. Each row
 * carries its share of the batch's forward-pass time. */
static int
out_api(struct kx_out *o, const struct kx_batch *b, double ms)
{
	double row_ms = b->n ? ms / (double)b->n : 0.0;
	const struct kx_rec *rec;
	size_t k, r;

	for (k = 0; k < b->n_recs; k++) {
		rec = &b->recs[k];
		if (rec->form == KX_FORM_API) {
			if (api_close_group(o) != 0 || api_open(o) != 0)
				return -1;
			for (r = rec->row; r < rec->row + rec->n; r++)
				if (api_row(o, b, r, r == rec->row) != 0)
					return -1;
			if (api_close(o, rec->n, row_ms * (double)rec->n) != 0)
				return -1;
			continue;
		}
		for (r = rec->row; r < rec->row + rec->n; r++) {
			if (o->open_rows == 0) {
				if (api_open(o) != 0)
					return -1;
				o->open_ms = 0.0;
			}
			if (api_row(o, b, r, o->open_rows == 0) != 0 ||
			    (rec->id_kind == KX_ID_FIELDS && api_keep(o, b, rec) != 0))
				return -1;
			o->open_rows++;
			o->open_ms += row_ms;
			if (o->open_rows == o->group && api_close_group(o) != 0)
				return -1;
		}
	}
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

int
kx_out_finish(struct kx_out *o)
{
	if (kx_out_begin(o) != 0 || api_close_group(o) != 0)
		return -1;
	return emit(o);
}
