/* rows_csv.c - the CSV and TSV input formats (see rows.h, reader.h).
 *
 * TSV is CSV with a tab for the delimiter (and a tab that is not blank
 * space around fields): one code, two rows of the table.
 *
 * Framing: one line, extended while the count of '"' is odd (a newline
 * inside quotes). Parsing: a record without '"' is split with memchr
 * (quote-free numeric CSV is nearly all real input, and libcsv tokenises
 * it about ten times slower: measured 206 MB/s against 2.6 GB/s on 1M
 * rows x 16 columns, which alone would use up the 1M rows/s budget). A
 * record with '"' is handed to libcsv in strict mode, which owns quoting
 * rules. Both paths feed the same per-field handler. */
#include <csv.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kanx.h"
#include "kxlimits.h"
#include "numfmt.h"
#include "reader.h"
#include "text.h"

#define NO_COL SIZE_MAX

/* The state of one CSV/TSV input (r->fs). */
struct csv {
	int header;             /* -1 undecided, 0 no, 1 yes (after the first record) */
	size_t id_col;          /* 0-based field index, or NO_COL */
	int id_by_name;
	int first_mixed;        /* the first line mixed names with other fields */
	char *names;            /* header names, NUL-separated */
	size_t names_len, names_cap;
	size_t *name_off;
	size_t n_names, cap_names;
	struct csv_parser lib;
	int lib_live;
	/* the record being parsed */
	struct kx_rows *r;
	struct kx_batch *b;
	float *row;
	double *row64;          /* a float64 model: the row in double, instead */
	size_t fk;              /* fields seen */
	size_t extra_k;         /* field index of the first surplus feature, or NO_COL */
	int ferr;               /* a field was bad: the record is refused */
	size_t ferr_k;
	int ferr_kind;
	char ferr_text[64];
	size_t id_off, id_len;
	int has_id;
	/* --columns, --keep, --keep-all, --row-number: the columns mapped
	 * (map set, once the header or the first row gave their number) */
	int want_map, map;
	size_t nf;              /* fields a row has */
	size_t *feat;           /* per field: the feature it is, or NO_COL */
	unsigned char *kept;    /* per field: copied to the output */
	size_t *foff, *flen;    /* per field: its text in kbuf, this row */
	char *kbuf;
	size_t kbuf_len, kbuf_cap;
	size_t *keepf;          /* the kept fields in output order; NO_COL: the row number */
	char **keep_name;       /* their names in the output */
	size_t n_keep;
	char *hdr;              /* the header line as read, for --rejects */
	size_t hdr_len;
};

enum { FE_NUM = 1, FE_NUL, FE_UTF8, FE_RANGE };

/* Start of field k of the current record (0-based), skipping spaces; the
 * record's end when it has fewer fields. */
static size_t
csv_field_at(const struct kx_rows *r, size_t k)
{
	const char *p = r->buf + r->rs, *e = r->buf + r->re, *a;
	int inq = 0;

	while (k > 0 && p < e) {
		if (*p == r->quote && r->quote)
			inq = !inq;
		else if (!inq && *p == (char)r->delim)
			k--;
		p++;
	}
	a = p;
	while (p < e && (*p == ' ' || (*p == '\t' && r->delim != '\t')))
		p++;
	if (p == e || *p == (char)r->delim)
		p = a;  /* a blank field: point at its start */
	return (size_t)(p - r->buf);
}

static const char *
csv_name(const struct kx_rows *r, size_t k)
{
	struct csv *c = r->fs;

	return c->header == 1 && k < c->n_names ? c->names + c->name_off[k] : NULL;
}

static void
csv_field_error(struct kx_rows *r, size_t k, int kind, const char *s, size_t len)
{
	struct csv *c = r->fs;
	size_t n = len < sizeof c->ferr_text - 1 ? len : sizeof c->ferr_text - 1;

	c->ferr = kind;
	c->ferr_k = k;
	memcpy(c->ferr_text, s, n);
	c->ferr_text[n] = '\0';
	c->ferr_kind = kind;
}

/* A field passed through as text (an id, a kept column): no NUL, UTF-8.
 * Returns 0, or -1 with the field's error set. */
static int
csv_text_ok(struct kx_rows *r, size_t k, const char *s, size_t len)
{
	if (memchr(s, '\0', len)) {
		csv_field_error(r, k, FE_NUL, s, len);
		return -1;
	}
	if (kx_utf8_bad(s, len) >= 0) {
		csv_field_error(r, k, FE_UTF8, s, len);
		return -1;
	}
	return 0;
}

/* Store the id field (plain text) in the batch. */
static void
csv_id(struct kx_rows *r, size_t k, const char *s, size_t len)
{
	struct csv *c = r->fs;

	if (csv_text_ok(r, k, s, len) != 0)
		return;
	if (kx_batch_ids(c->b, len) != 0) {
		r->oom = 1;
		return;
	}
	memcpy(c->b->ids + c->b->ids_len, s, len);
	c->id_off = c->b->ids_len;
	c->id_len = len;
	c->b->ids_len += len;
	c->has_id = 1;
}

/* A kept field (the mapped path): its text, this row, in kbuf. */
static void
csv_keep(struct kx_rows *r, size_t k, const char *s, size_t len)
{
	struct csv *c = r->fs;
	size_t need;

	if (csv_text_ok(r, k, s, len) != 0)
		return;
	if (kx_add(c->kbuf_len, len + 1, &need) != 0 || kx_grow((void **)&c->kbuf, &c->kbuf_cap, need, 1) != 0) {
		r->oom = 1;
		return;
	}
	memcpy(c->kbuf + c->kbuf_len, s, len);
	c->foff[k] = c->kbuf_len;
	c->flen[k] = len;
	c->kbuf_len += len;
}

/* The per-field handler of data rows: s[0, len) is the field, trimmed. */
static inline void
csv_value(struct kx_rows *r, const char *s, size_t len)
{
	struct csv *c = r->fs;
	size_t k = c->fk++, j;
	int st;
	float v;
	double d;

	if (c->ferr)
		return;
	if (c->map) {
		if (k >= c->nf) {
			if (c->extra_k == NO_COL)
				c->extra_k = k;
			return;
		}
		if (c->kept[k])
			csv_keep(r, k, s, len);
		if (c->ferr || (j = c->feat[k]) == NO_COL)
			return;
	} else {
		if (k == c->id_col) {
			csv_id(r, k, s, len);
			return;
		}
		j = k > c->id_col ? k - 1 : k;
		if (j >= r->in) {
			if (c->extra_k == NO_COL)
				c->extra_k = k;
			return;
		}
	}
	if (c->row64) {
		st = kx_parse_double(s, len, &d);
		v = 0.0f;
	} else {
		st = kx_parse_float(s, len, &v);
		d = v;
	}
	if (st != KX_NUM_OK) {
		csv_field_error(r, k, st == KX_NUM_EMPTY ? KX_NUM_EMPTY : st, s, len);
		if (st == KX_NUM_SYNTAX) {
			if (memchr(s, '\0', len))
				c->ferr = c->ferr_kind = FE_NUL;
			else if (kx_utf8_bad(s, len) >= 0)
				c->ferr = c->ferr_kind = FE_UTF8;
			else
				c->ferr = c->ferr_kind = FE_NUM;
		}
		return;
	}
	if (c->row64)
		c->row64[j] = d;
	else
		c->row[j] = v;
	if (r->o.range && (d < r->o.lo || d > r->o.hi)) {
		r->rec_oor++;
		if (r->o.strict_range)
			csv_field_error(r, k, FE_RANGE, s, len);
	}
}

static void
csv_cb_field(void *s, size_t len, void *data)
{
	csv_value(data, s, len);
}

static void
csv_cb_count(void *s, size_t len, void *data)
{
	(void)s;
	(void)len;
	((struct csv *)((struct kx_rows *)data)->fs)->fk++;
}

static void
csv_cb_row(int c, void *data)
{
	(void)c;
	(void)data;
}

static int
csv_is_space(unsigned char c)
{
	return c == ' ';
}

static int
csv_is_space_tab(unsigned char c)
{
	return c == ' ' || c == '\t';
}

static int
csv_is_term(unsigned char c)
{
	return c == '\n';
}

static int
csv_live(struct kx_rows *r)
{
	struct csv *c = r->fs;

	if (c->lib_live)
		return 0;
	if (csv_init(&c->lib, CSV_STRICT | CSV_APPEND_NULL | CSV_STRICT_FINI) != 0)
		return -1;
	csv_set_delim(&c->lib, r->delim);
	csv_set_quote(&c->lib, (unsigned char)r->quote);
	csv_set_space_func(&c->lib, r->delim == '\t' ? csv_is_space : csv_is_space_tab);
	csv_set_term_func(&c->lib, csv_is_term);
	c->lib_live = 1;
	return 0;
}

/* Split the current record into fields, calling fn for each. Returns 0, or
 * -1 with e set for a quoting error or out of memory. */
static int
csv_split(struct kx_rows *r, void (*cb)(void *, size_t, void *))
{
	struct csv *c = r->fs;
	const char *p = r->buf + r->rs, *e = r->buf + r->re, *q, *a, *z;
	const char d = (char)r->delim;
	size_t n;

	if (!r->quote || !memchr(p, r->quote, (size_t)(e - p))) {
		for (;;) {
			q = memchr(p, d, (size_t)(e - p));
			if (!q)
				q = e;
			a = p;
			z = q;
			while (a < z && (*a == ' ' || (*a == '\t' && d != '\t')))
				a++;
			while (z > a && (z[-1] == ' ' || (z[-1] == '\t' && d != '\t')))
				z--;
			if (cb == csv_cb_field)
				csv_value(r, a, (size_t)(z - a));
			else
				cb((void *)a, (size_t)(z - a), r);
			if (q == e)
				return 0;
			p = q + 1;
		}
	}
	if (csv_live(r) != 0) {
		rd_fail_oom(r);
		return -1;
	}
	n = csv_parse(&c->lib, p, (size_t)(e - p), cb, csv_cb_row, r);
	if (n < (size_t)(e - p) || csv_fini(&c->lib, cb, csv_cb_row, r) != 0) {
		int err = csv_error(&c->lib);
		csv_free(&c->lib);
		c->lib_live = 0;
		if (err == CSV_ENOMEM || err == CSV_ETOOBIG) {
			rd_fail_oom(r);
			return -1;
		}
		if (n >= (size_t)(e - p)) {
			/* csv_fini: a quoted field never closed; framing makes this
			 * the unterminated-quote case handled by the caller */
			n = (size_t)(e - p);
		}
		rd_fail_at(r, r->rs + n, KX_EXIT_BADINPUT,
		        "malformed quoted field: a closing quote must be followed by %s or the end of the line",
		        d == '\t' ? "a tab" : d == ',' ? "a comma" : d == ';' ? "';'" : "the delimiter");
		c->ferr = -1;
		return -1;
	}
	return 0;
}

/* The first record: collect its fields as names. */
static void
csv_cb_name(void *s, size_t len, void *data)
{
	struct kx_rows *r = data;
	struct csv *c = r->fs;
	size_t need;

	if (r->oom)
		return;
	if (kx_add(c->names_len, len + 1, &need) != 0 ||
	    kx_grow((void **)&c->name_off, &c->cap_names, c->n_names + 1, sizeof(size_t)) != 0 ||
	    kx_grow((void **)&c->names, &c->names_cap, need, 1) != 0) {
		r->oom = 1;
		return;
	}
	memcpy(c->names + c->names_len, s, len);
	c->names[c->names_len + len] = '\0';
	c->name_off[c->n_names++] = c->names_len;
	c->names_len = need;
	if (!c->ferr && (memchr(s, '\0', len) || kx_utf8_bad(s, len) >= 0)) {
		c->ferr = memchr(s, '\0', len) ? FE_NUL : FE_UTF8;
		c->ferr_k = c->n_names - 1;
	}
}

/* A header field: not empty, not a number in any spelling strtod reads
 * (so "nan", "inf", "1e5" and "0x1p3" are numbers here, though data rows
 * refuse all but plain decimals), and with a letter in it (an ASCII
 * letter, '_', or any non-ASCII character): "[0.5" is not a name. */
static int
name_like(const char *s)
{
	const unsigned char *p;
	char *end;
	int letter = 0;

	if (*s == '\0')
		return 0;
	errno = 0;
	(void)strtod(s, &end);
	if (end != s && *end == '\0')
		return 0;
	for (p = (const unsigned char *)s; *p && !letter; p++)
		letter = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || *p == '_' || *p >= 0x80;
	return letter;
}

/* The hint for a row of one field where more were expected: the
 * delimiter may be another one (" (1 column found: is the delimiter
 * ';'?)"), or "". */
static const char *
delim_hint(const struct kx_rows *r, size_t fields)
{
	static const char cand[] = ",;|\t";
	static char buf[64];
	const char *p;

	if (fields != 1)
		return "";
	for (p = cand; *p; p++)
		if (*p != (char)r->delim && memchr(r->buf + r->rs, *p, r->re - r->rs)) {
			snprintf(buf, sizeof buf, " (1 column found: is the delimiter %s?)",
			         *p == '\t' ? "a tab (-i tsv)" : *p == ';' ? "';'" : *p == '|' ? "'|'" : "','");
			return buf;
		}
	return "";
}

/* ---- --columns and --keep ---------------------------------------------- */

struct cols {
	size_t *v;
	size_t n, cap;
};

static int
cols_add(struct kx_rows *r, struct cols *l, size_t k)
{
	if (kx_grow((void **)&l->v, &l->cap, l->n + 1, sizeof *l->v) != 0) {
		r->oom = 1;
		rd_fail_oom(r);
		return -1;
	}
	l->v[l->n++] = k;
	return 0;
}

/* The fields one item of a column list names ("name", "3", "2-5", "3-",
 * "#" for the row number when rowno), appended to l. opt: the option,
 * for messages. Returns 0, or -1 with e set. */
static int
cols_item(struct kx_rows *r, const char *opt, const char *it, size_t len, int rowno, struct cols *l)
{
	struct csv *c = r->fs;
	const char *dash = memchr(it, '-', len);
	char tmp[256], s[300];
	size_t a, b, i, nl = len < sizeof tmp ? len : sizeof tmp - 1;

	memcpy(tmp, it, nl);
	tmp[nl] = '\0';
	if (rowno && strcmp(tmp, "#") == 0)
		return cols_add(r, l, NO_COL);
	if (strspn(tmp, "0123456789-") == nl && nl > 0 && (!dash || memchr(dash + 1, '-', len - (size_t)(dash - it) - 1) == NULL)) {
		/* a number or a range of numbers, 1-based */
		char *q;
		a = dash == it ? 1 : (size_t)strtoul(tmp, &q, 10);
		b = !dash ? a : (size_t)(dash - it) + 1 == len ? c->nf : (size_t)strtoul(tmp + (dash - it) + 1, &q, 10);
		if (a == 0 || b == 0 || a > c->nf || b > c->nf) {
			rd_fail_at(r, r->rs, KX_EXIT_BADINPUT, "no column %zu: the %s has %zu column%s (%s)",
			           a == 0 || a > c->nf ? a : b, c->header == 1 ? "header" : "first row", c->nf,
			           c->nf == 1 ? "" : "s", opt);
			return -1;
		}
		for (i = a; a <= b ? i <= b : i >= b; a <= b ? i++ : i--)
			if (cols_add(r, l, i - 1) != 0)
				return -1;
		return 0;
	}
	rd_show(tmp, nl, s, sizeof s);
	if (c->header != 1) {
		rd_fail_at(r, r->rs, KX_EXIT_BADINPUT, "%s names a column, %s, but the input has no header", opt, s);
		return -1;
	}
	for (i = 0; i < c->n_names; i++)
		if (strlen(c->names + c->name_off[i]) == len && memcmp(c->names + c->name_off[i], it, len) == 0)
			return cols_add(r, l, i);
	rd_fail_at(r, r->rs, KX_EXIT_BADINPUT, "no column named %s in the header (%s)", s, opt);
	return -1;
}

/* A column list as xsv reads one: items separated by ',', in order; an
 * item "!X" drops X, and a list of drops alone starts from def. */
static int
cols_parse(struct kx_rows *r, const char *opt, const char *spec, int rowno, const struct cols *def,
           struct cols *out)
{
	struct cols drop = { 0 };
	const char *p = spec, *q;
	size_t i, j, k;
	int any = 0, rc = -1;

	for (;; p = q + 1) {
		q = strchr(p, ',');
		q = q ? q : p + strlen(p);
		if (q > p && *p == '!') {
			if (cols_item(r, opt, p + 1, (size_t)(q - p) - 1, rowno, &drop) != 0)
				goto done;
		} else if (q > p) {
			any = 1;
			if (cols_item(r, opt, p, (size_t)(q - p), rowno, out) != 0)
				goto done;
		}
		if (!*q)
			break;
	}
	if (!any)
		for (i = 0; i < def->n; i++)
			if (cols_add(r, out, def->v[i]) != 0)
				goto done;
	for (i = j = 0; i < out->n; i++) {
		for (k = 0; k < drop.n && drop.v[k] != out->v[i]; k++)
			;
		if (k == drop.n)
			out->v[j++] = out->v[i];
	}
	out->n = j;
	rc = 0;
done:
	free(drop.v);
	return rc;
}

/* The grammar of counts: "1 column", "2 columns". */
static const char *
plural(size_t n)
{
	return n == 1 ? "" : "s";
}

/* Map the nf fields of a row: which are features (in which order) and
 * which are kept. Returns 0, or -1 (fatal) with e set. */
static int
csv_map(struct kx_rows *r, size_t nf)
{
	struct csv *c = r->fs;
	struct cols keep = { 0 }, feat = { 0 }, def = { 0 };
	size_t i, k, n_id = 0;
	int rc = -1;

	c->nf = nf;
	if (!(c->feat = kx_mallocarray(nf ? nf : 1, sizeof *c->feat)) ||
	    !(c->kept = calloc(nf ? nf : 1, 1)) || !(c->foff = kx_mallocarray(nf ? nf : 1, sizeof *c->foff)) ||
	    !(c->flen = kx_mallocarray(nf ? nf : 1, sizeof *c->flen))) {
		r->oom = 1;
		rd_fail_oom(r);
		return -1;
	}
	/* kept: --id, then --keep-all or --keep */
	if (c->id_col != NO_COL) {
		if (c->id_col >= nf) {
			rd_fail_at(r, r->rs, KX_EXIT_BADINPUT, "no column %zu: the %s has %zu column%s (--id)",
			           c->id_col + 1, c->header == 1 ? "header" : "first row", nf, plural(nf));
			goto done;
		}
		if (cols_add(r, &keep, c->id_col) != 0)
			goto done;
		n_id = 1;
	}
	for (i = 0; i < nf; i++)
		if (cols_add(r, &def, i) != 0)
			goto done;
	if (r->o.keep_all) {
		for (i = 0; i < nf; i++)
			if (cols_add(r, &keep, i) != 0)
				goto done;
	}
	if (r->o.keep && cols_parse(r, "--keep", r->o.keep, 1, &def, &keep) != 0)
		goto done;
	/* features: --columns, else every column not named by --id or --keep */
	if (r->o.columns) {
		if (cols_parse(r, "--columns", r->o.columns, 0, &def, &feat) != 0)
			goto done;
	} else {
		/* not features: the columns --id and --keep name (those
		 * --keep-all adds, keep.v[n_id, all_hi), stay features) */
		size_t all_hi = r->o.keep_all ? n_id + nf : n_id;
		for (i = 0; i < nf; i++) {
			for (k = 0; k < keep.n && !(keep.v[k] == i && (k < n_id || k >= all_hi)); k++)
				;
			if (k == keep.n && cols_add(r, &feat, i) != 0)
				goto done;
		}
	}
	if (r->learn && !r->width_set) {
		r->in = feat.n;
		r->width_set = 1;
	}
	if (feat.n != r->in) {
		if (r->o.columns)
			rd_fail_at(r, r->rs, KX_EXIT_BADINPUT, "--columns selects %zu column%s; Expected %zu "
			           "features per sample", feat.n, plural(feat.n), r->in);
		else
			rd_fail_at(r, r->rs, KX_EXIT_BADINPUT, "the %s has %zu feature column%s (besides "
			           "the kept ones); Expected %zu features per sample (--columns picks them)",
			           c->header == 1 ? "header" : "first row", feat.n, plural(feat.n), r->in);
		goto done;
	}
	for (i = 0; i < nf; i++)
		c->feat[i] = NO_COL;
	for (i = 0; i < feat.n; i++)
		c->feat[feat.v[i]] = i;
	for (i = 0; i < keep.n; i++)
		if (keep.v[i] != NO_COL)
			c->kept[keep.v[i]] = 1;
	if (!(c->keep_name = calloc(keep.n ? keep.n : 1, sizeof *c->keep_name))) {
		r->oom = 1;
		rd_fail_oom(r);
		goto done;
	}
	c->n_keep = keep.n;
	for (i = 0; i < keep.n; i++) {
		char num[32];
		const char *nm = num;
		k = keep.v[i];
		if (k == NO_COL)
			nm = "row";
		else if (c->header == 1)
			nm = c->names + c->name_off[k];
		else if (i < n_id)
			nm = "id";
		else
			snprintf(num, sizeof num, "c%zu", k + 1);
		if (!(c->keep_name[i] = strdup(nm))) {
			r->oom = 1;
			rd_fail_oom(r);
			goto done;
		}
	}
	c->keepf = keep.v;
	keep.v = NULL;
	c->map = 1;
	rc = 0;
done:
	free(keep.v);
	free(feat.v);
	free(def.v);
	return rc;
}

/* Decide on and take in the header from the first record. Returns 1 when
 * the record was a header, 0 when it is data, -1 (fatal) with e set. */
static int
csv_header(struct kx_rows *r)
{
	struct csv *c = r->fs;
	size_t i, nf, in_cols;

	c->n_names = 0;
	c->names_len = 0;
	c->ferr = 0;
	if (csv_split(r, csv_cb_name) != 0)
		return -1;
	if (r->oom) {
		rd_fail_oom(r);
		return -1;
	}
	nf = c->n_names;
	if (c->header < 0) {
		/* a header when every field but the id is a name (name_like);
		 * a line of numbers, or of anything else, is data, and so is a
		 * line that mixes names with other fields: a bad row then, with
		 * a note on why it is no header */
		size_t names = 0, others = 0;
		for (i = 0; i < nf; i++) {
			const char *s = c->names + c->name_off[i];
			if (i == c->id_col)
				continue;
			if (name_like(s))
				names++;
			else
				others++;
		}
		c->header = names > 0 && others == 0;
		c->first_mixed = names > 0 && others > 0;
	}
	if (c->header == 0)
		return 0;
	if (c->ferr) {
		rd_fail_at(r, csv_field_at(r, c->ferr_k), KX_EXIT_BADINPUT, "header field %zu: %s",
		        c->ferr_k + 1, c->ferr == FE_NUL ? "NUL byte in input" : "invalid UTF-8");
		return -1;
	}
	if (c->id_by_name) {
		for (i = 0; i < nf; i++)
			if (strcmp(c->names + c->name_off[i], r->o.id) == 0)
				break;
		if (i == nf) {
			char s[128];
			rd_show(r->o.id, strlen(r->o.id), s, sizeof s);
			rd_fail_at(r, r->rs, KX_EXIT_BADINPUT, "no column named %s in the header (--id)", s);
			return -1;
		}
		c->id_col = i;
	} else if (c->id_col != NO_COL && c->id_col >= nf) {
		rd_fail_at(r, r->rs, KX_EXIT_BADINPUT, "no column %zu: the header has %zu columns (--id)",
		        c->id_col + 1, nf);
		return -1;
	}
	free(c->hdr);
	if (!(c->hdr = malloc(r->re - r->rs + 1))) {
		r->oom = 1;
		rd_fail_oom(r);
		return -1;
	}
	memcpy(c->hdr, r->buf + r->rs, r->re - r->rs);
	c->hdr_len = r->re - r->rs;
	if (c->want_map)
		return csv_map(r, nf) == 0 ? 1 : -1;
	in_cols = nf - (c->id_col != NO_COL ? 1 : 0);
	if (r->learn && !r->width_set) {
		r->in = in_cols;
		r->width_set = 1;
	}
	if (in_cols != r->in) {
		rd_fail_at(r, r->rs, KX_EXIT_BADINPUT,
		        "the header has %zu feature column%s; Expected %zu features per sample%s",
		        in_cols, plural(in_cols), r->in, delim_hint(r, in_cols + (c->id_col != NO_COL)));
		return -1;
	}
	return 1;
}

/* The kept fields of the row just parsed, in their order, into the
 * batch's ids: NUL-separated. Returns 0, or -1 (r->oom). */
static int
csv_keep_row(struct kx_rows *r, struct kx_batch *b)
{
	struct csv *c = r->fs;
	size_t i, need = 0, k, len;
	char num[32];
	const char *s;

	if (c->n_keep == 0)
		return 0;
	for (i = 0; i < c->n_keep; i++)
		need += (c->keepf[i] == NO_COL ? sizeof num : c->flen[c->keepf[i]]) + 1;
	if (kx_batch_ids(b, need) != 0) {
		r->oom = 1;
		rd_fail_oom(r);
		return -1;
	}
	c->id_off = b->ids_len;
	for (i = 0; i < c->n_keep; i++) {
		k = c->keepf[i];
		if (k == NO_COL) {
			/* the row number: data rows from 1, refused ones counted */
			len = (size_t)snprintf(num, sizeof num, "%zu", r->recno - (c->header == 1));
			s = num;
		} else {
			s = c->kbuf + c->foff[k];
			len = c->flen[k];
		}
		if (i)
			b->ids[b->ids_len++] = '\0';
		memcpy(b->ids + b->ids_len, s, len);
		b->ids_len += len;
	}
	c->id_len = b->ids_len - c->id_off;
	c->has_id = 1;
	return 0;
}

/* Parse the current record as a data row into the batch. Returns 0, or -1
 * with e set (the record is refused; r->oom marks a fatal failure). */
static int
csv_row(struct kx_rows *r, struct kx_batch *b)
{
	struct csv *c = r->fs;
	size_t got;
	char s[128], nm[160];
	const char *name;

	c->b = b;
	c->row = b->x + b->n * b->in;
	c->row64 = b->x64 ? b->x64 + b->n * b->in : NULL;
	c->fk = 0;
	c->extra_k = NO_COL;
	c->ferr = 0;
	c->has_id = 0;
	c->kbuf_len = 0;
	if (csv_split(r, csv_cb_field) != 0)
		return -1;
	if (r->oom) {
		rd_fail_oom(r);
		return -1;
	}
	if (c->ferr) {
		size_t k = c->ferr_k;
		name = csv_name(r, k);
		if (name) {
			char nq[128];
			rd_show(name, strlen(name), nq, sizeof nq);
			snprintf(nm, sizeof nm, "field %zu (%s)", k + 1, nq);
		} else {
			snprintf(nm, sizeof nm, "field %zu", k + 1);
		}
		rd_show(c->ferr_text, strlen(c->ferr_text), s, sizeof s);
		switch (c->ferr_kind) {
		case KX_NUM_EMPTY:
			rd_fail_at(r, csv_field_at(r, k), KX_EXIT_BADINPUT, "%s: empty field; expected a number", nm);
			break;
		case KX_NUM_RANGE:
			rd_fail_at(r, csv_field_at(r, k), KX_EXIT_BADINPUT,
			        "%s: %s is out of the %s range", nm, s, b->x64 ? "float64" : "float32");
			break;
		case FE_NUL:
			rd_fail_at(r, csv_field_at(r, k), KX_EXIT_BADINPUT, "%s: NUL byte in input", nm);
			break;
		case FE_UTF8:
			rd_fail_at(r, csv_field_at(r, k), KX_EXIT_BADINPUT, "%s: invalid UTF-8", nm);
			break;
		case FE_RANGE: {
			char lo[KX_FLOAT_BUF], hi[KX_FLOAT_BUF];
			kx_format_float(r->o.lo, lo);
			kx_format_float(r->o.hi, hi);
			rd_fail_at(r, csv_field_at(r, k), KX_EXIT_BADINPUT,
			        "%s: %s is outside the grid range [%s, %s] of layer 0 (--strict-range)",
			        nm, c->ferr_text, lo, hi);
			break;
		}
		default:
			rd_fail_at(r, csv_field_at(r, k), KX_EXIT_BADINPUT,
			        "%s: expected a plain decimal number, got %s%s", nm, s,
			        c->fk == 1 && r->in > 1 ? delim_hint(r, 1) : "");
		}
		return -1;
	}
	if (c->map) {
		if (c->fk != c->nf) {
			rd_fail_at(r, c->fk > c->nf ? csv_field_at(r, c->extra_k) : r->re, KX_EXIT_BADINPUT,
			           "expected %zu fields, as the %s has, got %zu%s", c->nf,
			           c->header == 1 ? "header" : "first row", c->fk, delim_hint(r, c->fk));
			return -1;
		}
		return csv_keep_row(r, b);
	}
	got = c->fk - (c->id_col < c->fk ? 1 : 0);
	if (got != r->in) {
		rd_fail_at(r, got > r->in ? csv_field_at(r, c->extra_k) : r->re, KX_EXIT_BADINPUT,
		        "Expected %zu features per sample, got %zu%s", r->in, got, delim_hint(r, c->fk));
		return -1;
	}
	return 0;
}

/* ---- the format ------------------------------------------------------------ */

static int
csv_open(struct kx_rows *r)
{
	struct csv *c = calloc(1, sizeof *c);
	size_t idx;

	if (!c) {
		rd_fail_oom(r);
		return -1;
	}
	r->fs = c;
	r->quote = r->o.no_quote ? 0 : r->o.quote > 0 ? (char)r->o.quote : '"';
	if (r->o.delim) {
		r->delim = (unsigned char)r->o.delim;
	} else if (r->fmt == KX_IN_TSV) {
		r->delim = '\t';
	} else {
		/* CSV: ',' unless the first line has none, but ';' or '|' */
		size_t next, lines;
		int rc = rd_frame_lines(r, 0, 0, &next, &lines);
		r->delim = ',';
		if (rc == FR_OK && !memchr(r->buf + r->rs, ',', r->re - r->rs)) {
			if (memchr(r->buf + r->rs, ';', r->re - r->rs))
				r->delim = ';';
			else if (memchr(r->buf + r->rs, '|', r->re - r->rs))
				r->delim = '|';
		}
		if (rd_sniff_reset(r, rc) != 0)
			return -1;
	}
	c->want_map = r->o.columns || r->o.keep || r->o.keep_all;
	c->header = r->o.header;
	c->id_col = NO_COL;
	if (r->o.id) {
		/* kx_rows_open has refused a name with --no-header */
		if (kx_parse_size(r->o.id, 1, SIZE_MAX, &idx) == 0) {
			c->id_col = idx - 1;
		} else {
			c->id_by_name = 1;
			c->header = 1;
		}
	}
	r->head_pending = c->header != 0;
	return 0;
}

static void
csv_close(struct kx_rows *r)
{
	struct csv *c = r->fs;
	size_t i;

	if (!c)
		return;
	if (c->lib_live)
		csv_free(&c->lib);
	free(c->names);
	free(c->name_off);
	free(c->feat);
	free(c->kept);
	free(c->foff);
	free(c->flen);
	free(c->kbuf);
	free(c->keepf);
	for (i = 0; c->keep_name && i < c->n_keep; i++)
		free(c->keep_name[i]);
	free(c->keep_name);
	free(c->hdr);
	free(c);
	r->fs = NULL;
}

/* Not JSON: CSV, the fallback (1); TSV when the first line holds a tab
 * and no comma (2). */
static int
csv_sniff(struct kx_rows *r, size_t at)
{
	return at < r->end && (r->buf[at] == '[' || r->buf[at] == '{') ? 0 : 1;
}

static int
tsv_sniff(struct kx_rows *r, size_t at)
{
	size_t next, lines;
	int rc, tsv;

	if (at < r->end && (r->buf[at] == '[' || r->buf[at] == '{'))
		return 0;
	rc = rd_frame_lines(r, 0, 0, &next, &lines);
	tsv = rc == FR_OK && memchr(r->buf + r->rs, '\t', r->re - r->rs) &&
	      !memchr(r->buf + r->rs, ',', r->re - r->rs);
	if (rd_sniff_reset(r, rc) != 0)
		return -1;
	return tsv ? 2 : 0;
}

/* Lines, extended over newlines inside quotes; a quote left open at the
 * end of the input is refused here, at the opening quote. */
static int
csv_frame(struct kx_rows *r, int have_rows, size_t *next, size_t *nlines)
{
	const char *p, *open;
	int rc = rd_frame_lines(r, have_rows, r->quote, next, nlines), inq = 0;

	if (rc != FR_BAD || r->discard)
		return rc;
	for (p = open = r->buf + r->rs; p < r->buf + r->re; p++)
		if (*p == r->quote) {
			if (!inq)
				open = p;
			inq = !inq;
		}
	rd_fail_at(r, (size_t)(open - r->buf), KX_EXIT_BADINPUT, "unterminated quoted field");
	while (r->re > r->rs && (r->buf[r->re - 1] == '\n' || r->buf[r->re - 1] == '\r'))
		r->re--;
	r->rej_off = r->rs;
	r->rej_len = r->re - r->rs;
	r->pos = r->end;
	r->fquote = 0;
	r->fscan = 0;
	return FR_BAD;
}

/* A data row of the batch. */
static int
csv_record(struct kx_rows *r, struct kx_batch *b)
{
	struct csv *c = r->fs;
	struct kx_rec *rec;
	int rc;

	if (r->learn && !r->width_set) {
		/* the first data row gives the width */
		c->fk = 0;
		(void)csv_split(r, csv_cb_count);  /* a quoting error: csv_row says it */
		r->in = c->fk - (c->id_col < c->fk ? 1 : 0);
		r->width_set = 1;
	}
	if (c->want_map && !c->map) {
		/* no header: the first data row gives the number of fields */
		c->fk = 0;
		if (csv_split(r, csv_cb_count) != 0 || csv_map(r, c->fk) != 0) {
			r->oom = 1;  /* fatal: the columns cannot be mapped */
			return -1;
		}
	}
	if (b->in != r->in && rd_batch_width(r, b) != 0) {
		r->oom = 1;
		rd_fail_oom(r);
		return -1;
	}
	if (r->no_nl) {
		/* the input ends inside this line: a number cut short still
		 * reads as a number, so it is refused whatever it holds */
		rd_fail_at(r, r->re, KX_EXIT_BADINPUT, "the last line has no newline: the input "
		           "looks cut off here (end the line if it is whole)");
		return -1;
	}
	rc = csv_row(r, b);
	if (rc != 0 && c->first_mixed && r->recno == 1 && !r->oom)
		kx_err_add(r->e, KX_EXIT_BADINPUT,
		           "the first line is not a header: a header has a name in every column");
	if (rc != 0)
		return rc;
	if ((rec = kx_batch_rec(b)) == NULL) {
		r->oom = 1;
		rd_fail_oom(r);
		return -1;
	}
	rec->row = b->n++;
	rec->n = 1;
	rec->line = r->rec_line;
	rec->form = KX_FORM_ROW;
	rec->rank = 1;
	rec->id_kind = !c->has_id ? KX_ID_NONE : c->map ? KX_ID_FIELDS : KX_ID_TEXT;
	rec->id_off = c->id_off;
	rec->id_len = c->id_len;
	return 0;
}

static const char *
csv_scan(const struct kx_rows *r, const char *s, const char *e, float *row)
{
	return kx_scan_floats(s, e, (char)r->delim, row, r->in);
}

/* Rows of `in` plain numbers, once the header is behind, without an id. */
static int
csv_fast(struct kx_rows *r, struct kx_batch *b)
{
	struct csv *c = r->fs;

	if (c->id_col != NO_COL || c->id_by_name || c->want_map || r->in == 0 || r->head_pending)
		return 0;
	return rd_lines_fast(r, b, KX_FORM_ROW, csv_scan);
}

static const char *
csv_id_name(const struct kx_rows *r)
{
	const struct csv *c = r->fs;

	if (c && !c->want_map && c->header == 1 && c->id_col != NO_COL && c->id_col < c->n_names)
		return c->names + c->name_off[c->id_col];
	return NULL;
}

static const char *const *
csv_kept(const struct kx_rows *r, size_t *n)
{
	const struct csv *c = r->fs;

	*n = c && c->map ? c->n_keep : 0;
	return c && c->map ? (const char *const *)c->keep_name : NULL;
}

static const char *
csv_head_text(const struct kx_rows *r, size_t *len)
{
	const struct csv *c = r->fs;

	*len = c && c->hdr ? c->hdr_len : 0;
	return c ? c->hdr : NULL;
}

const struct kx_in_format kx_in_csv = {
	KX_IN_CSV, "csv", "CSV", ".csv", "comma-separated values, with or without a header row",
	1, 0, csv_sniff, csv_open, csv_close, csv_frame, csv_header, csv_record,
	csv_fast, csv_id_name, csv_kept, csv_head_text
};

const struct kx_in_format kx_in_tsv = {
	KX_IN_TSV, "tsv", "TSV", ".tsv .tab", "tab-separated values, with or without a header row",
	1, 0, tsv_sniff, csv_open, csv_close, csv_frame, csv_header, csv_record,
	csv_fast, csv_id_name, csv_kept, csv_head_text
};
