/* rows.c - the input reader's driver (see rows.h and reader.h).
 *
 * Reading: read(2) into one buffer that only grows up to line_bytes plus a
 * read chunk; with --shard, pread(2) from the file's start, then over the
 * shard's byte range (shard_move, shard.c). A record is first framed (its
 * bytes found whole in the buffer), then parsed in place into the batch,
 * both by the input's format: one entry of the table kx_in_formats below,
 * whose code is a file of its own (rows_csv.c: CSV and TSV; rows_jsonl.c:
 * JSON lines; rows_api.c: API request documents; rows_json.c: the JSON
 * record parser under the last two). Here: opening, reading, framing by
 * lines, choosing the format, --shard, and the loop of kx_rows_fill. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "err.h"
#include "kxlimits.h"
#include "reader.h"
#include "shard.h"
#include "stop.h"
#include "text.h"

#define RD_INIT ((size_t)1 << 20)   /* initial buffer */
#define RD_CHUNK ((size_t)1 << 20)  /* most bytes asked of one read(2) */

/* ---- the table of input formats ------------------------------------------ */

const struct kx_in_format *const kx_in_formats[] = {
	NULL,           /* KX_IN_AUTO */
	&kx_in_csv,     /* KX_IN_CSV */
	&kx_in_tsv,     /* KX_IN_TSV */
	&kx_in_jsonl,   /* KX_IN_JSONL */
	&kx_in_api,     /* KX_IN_API */
};
const size_t kx_in_n_formats = sizeof kx_in_formats / sizeof kx_in_formats[0];

/* ---- small helpers ------------------------------------------------------- */


void
rd_show(const char *s, size_t len, char *out, size_t outsz)
{
	const unsigned char *p = (const unsigned char *)s, *e = p + len;
	size_t o = 0, chars = 0, n;

	out[o++] = '"';
	while (p < e && o + 12 < outsz) {
		if (chars >= 40) {
			memcpy(out + o, "...", 3);
			o += 3;
			break;
		}
		if (*p >= 0x20 && *p < 0x7f && *p != '"' && *p != '\\') {
			out[o++] = (char)*p++;
		} else if (*p >= 0x80 && (n = kx_utf8_len(p, (size_t)(e - p))) > 0) {
			memcpy(out + o, p, n);
			o += n;
			p += n;
		} else {
			o += (size_t)snprintf(out + o, outsz - o, *p == '"' ? "\\\"" :
			                      *p == '\\' ? "\\\\" : "\\x%02x", *p);
			p++;
		}
		chars++;
	}
	out[o++] = '"';
	out[o] = '\0';
}

/* Line and column (1-based, in characters) of buf[at], counting from the
 * current record's start. */
static void
where(const struct kx_rows *r, size_t at, size_t *line, size_t *col)
{
	const char *s = r->buf + r->rs, *p = r->buf + at, *q, *ls = s;
	size_t ln = r->rec_line, c = 1;

	for (q = s; q < p; q++)
		if (*q == '\n') {
			ln++;
			ls = q + 1;
		}
	for (q = ls; q < p; q++)
		if (((unsigned char)*q & 0xc0) != 0x80)
			c++;
	*line = ln;
	*col = c;
}

void
rd_fail_at(struct kx_rows *r, size_t at, int code, const char *fmt, ...)
{
	char msg[1024];
	size_t line, col;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	where(r, at, &line, &col);
	kx_err_set(r->e, code, "%s:%zu:%zu: %s", r->name, line, col, msg);
	r->e->status = code == KX_EXIT_TOOBIG ? 413 : r->fail_status ? r->fail_status : 400;
	r->fail_status = 0;
	r->err_line = line;
	r->err_col = col;
	r->err_skip = (size_t)snprintf(NULL, 0, "%s:%zu:%zu: ", r->name, line, col);
}

static void
fail_io(struct kx_rows *r, const char *what)
{
	kx_err_set(r->e, KX_EXIT_IO, "%s: %s: %s", r->name, what, strerror(errno));
}

void
rd_fail_oom(struct kx_rows *r)
{
	kx_err_set(r->e, KX_EXIT_INTERNAL, "%s: out of memory", r->name);
}


/* ---- the formats by name ------------------------------------------------ */

const char *
kx_in_fmt_name(enum kx_in_fmt f)
{
	if ((size_t)f > 0 && (size_t)f < kx_in_n_formats)
		return kx_in_formats[f]->name;
	return "auto";
}

int
kx_in_fmt_lookup(const char *s, enum kx_in_fmt *out)
{
	size_t i;

	for (i = 0; i < kx_in_n_formats; i++)
		if (strcmp(s, kx_in_fmt_name((enum kx_in_fmt)i)) == 0) {
			*out = (enum kx_in_fmt)i;
			return 0;
		}
	return -1;
}

size_t
kx_in_fmt_list(char *buf, size_t size, const char *last)
{
	size_t i, o = 0, n = kx_in_n_formats - 1;

	if (size)
		buf[0] = '\0';
	for (i = 1; i <= n; i++) {
		const char *sep = i == 1 ? "" : i < n || !last ? ", " : last;
		int w = snprintf(buf + (o < size ? o : size), o < size ? size - o : 0, "%s%s", sep,
		                 kx_in_formats[i]->name);
		o += w > 0 ? (size_t)w : 0;
	}
	return o;
}

void
kx_in_fmt_print(FILE *f)
{
	size_t i;

	for (i = 1; i < kx_in_n_formats; i++)
		fprintf(f, "%s\t%s\t%s\t%s\n", kx_in_formats[i]->name, kx_in_formats[i]->exts,
		        kx_in_formats[i]->title, kx_in_formats[i]->what);
}

int
kx_in_parse_char(const char *s)
{
	if (strcmp(s, "\\t") == 0 || strcmp(s, "tab") == 0)
		return '\t';
	if (s[0] == '\0' || s[1] != '\0' || s[0] == '\n' || s[0] == '\r')
		return -1;
	return (unsigned char)s[0];
}

/* ---- opening, reading ------------------------------------------------- */

struct kx_rows *
kx_rows_open(const char *path, const struct kx_rows_opts *o, struct kx_err *e)
{
	struct kx_rows *r = calloc(1, sizeof *r);
	struct stat st;
	size_t idx;
	int fifo = 0;

	if (!r) {
		kx_err_set(e, KX_EXIT_INTERNAL, "out of memory");
		return NULL;
	}
	r->o = *o;
	r->in = o->in;
	r->learn = o->in == 0;
	r->e = e;
	r->fd = -1;
	r->line = 1;
	r->path = strdup(path);
	r->name = strdup(kx_path_name(path));
	r->cap = RD_INIT;
	if (kx_add(o->lim->line_bytes, RD_CHUNK + 1, &r->maxcap) != 0)
		r->maxcap = SIZE_MAX;
	if (r->maxcap < r->cap)
		r->maxcap = r->cap;
	r->buf = malloc(r->cap);
	r->dummy = kx_mallocarray(r->in ? r->in : 1, sizeof(double));
	if (!r->path || !r->name || !r->buf || !r->dummy) {
		kx_err_set(e, KX_EXIT_INTERNAL, "out of memory");
		goto fail;
	}
	if (o->id && o->header == 0 && kx_parse_size(o->id, 1, SIZE_MAX, &idx) != 0) {
		kx_err_set(e, KX_EXIT_USAGE, "--id %s names a column, but --no-header says there is no header", o->id);
		goto fail;
	}
	if (kx_path_is_stdin(path)) {
		r->fd = STDIN_FILENO;
	} else {
		r->fd = open(path, O_RDONLY | O_CLOEXEC);
		if (r->fd < 0) {
			kx_err_set(e, KX_EXIT_IO, "%s: cannot open: %s", path, strerror(errno));
			goto fail;
		}
		r->own_fd = 1;
	}
	if (fstat(r->fd, &st) == 0) {
		if (S_ISDIR(st.st_mode)) {
			kx_err_set(e, KX_EXIT_IO, "%s: is a directory", r->name);
			goto fail;
		}
		r->regular = S_ISREG(st.st_mode);
		fifo = S_ISFIFO(st.st_mode);
		if (r->regular && st.st_size > 0)
			r->size = (unsigned long long)st.st_size;
	}
	if (o->shard && !r->regular) {
		kx_err_set(e, KX_EXIT_USAGE, "%s: --shard needs a regular file, which it can seek in; "
		           "this is %s", r->name, fifo ? "a pipe" : "not one");
		goto fail;
	}
	r->rhi = r->size;
	return r;
fail:
	kx_rows_close(r);
	return NULL;
}

void
kx_rows_close(struct kx_rows *r)
{
	if (!r)
		return;
	if (r->own_fd && r->fd >= 0)
		close(r->fd);
	if (r->f && r->f->close)
		r->f->close(r);
	free(r->name);
	free(r->path);
	free(r->buf);
	free(r->dummy);
	free(r);
}

/* Asked to stop (stop.h): no more reading. */
static int
rd_stop(struct kx_rows *r)
{
	r->stopped = 1;
	kx_err_set(r->e, KX_EXIT_IO, "%s: reading stopped by %s", r->name, kx_stop_name(kx_stop_signal()));
	return -1;
}

/* Read more input after buf[end), first moving buf[pos, end) to the front.
 * A pipe or terminal is waited on with poll(2) next to the stop
 * descriptor, so that a stop ends the wait whichever thread the signal
 * went to. Returns 1 when bytes arrived, 0 at end of input, -1 on error
 * or a stop (e set; r->stopped for a stop). */
int
rd_more(struct kx_rows *r)
{
	ssize_t n;

	if (r->eof)
		return 0;
	if (r->pos > 0) {
		memmove(r->buf, r->buf + r->pos, r->end - r->pos);
		r->end -= r->pos;
		r->pos = 0;
	}
	if (r->end == r->cap) {
		size_t ncap = r->cap > r->maxcap / 2 ? r->maxcap : r->cap * 2;
		char *nb;
		if (ncap <= r->cap) {
			/* callers check the line limit first; this is a safety net */
			kx_err_set(r->e, KX_EXIT_INTERNAL, "%s: input buffer full", r->name);
			return -1;
		}
		nb = realloc(r->buf, ncap);
		if (!nb) {
			rd_fail_oom(r);
			return -1;
		}
		r->buf = nb;
		r->cap = ncap;
	}
	for (;;) {
		size_t want = r->cap - r->end;
		if (want > RD_CHUNK)
			want = RD_CHUNK;
		if (kx_stop_signal())
			return rd_stop(r);
		if (r->o.shard) {
			/* --shard (a regular file): the file offset is not ours to move */
			if (want > r->rhi - r->roff)
				want = (size_t)(r->rhi - r->roff);
			n = want ? pread(r->fd, r->buf + r->end, want, (off_t)r->roff) : 0;
			if (n > 0)
				r->roff += (unsigned long long)n;
		} else {
			if (!r->regular) {
				struct pollfd pf[2] = { { r->fd, POLLIN, 0 }, { kx_stop_fd(), POLLIN, 0 } };
				if (poll(pf, 2, -1) < 0 && errno != EINTR) {
					fail_io(r, "read error");
					return -1;
				}
				if (!pf[0].revents)
					continue;
			}
			n = read(r->fd, r->buf + r->end, want);
		}
		if (n >= 0)
			break;
		if (errno != EINTR) {
			fail_io(r, "read error");
			return -1;
		}
	}
	if (n == 0) {
		r->eof = 1;
		return 0;
	}
	r->end += (size_t)n;
	r->bytes_read += (unsigned long long)n;
	return 1;
}

int
rd_ready(const struct kx_rows *r)
{
	struct pollfd p;

	if (r->regular || r->eof)
		return 1;
	p.fd = r->fd;
	p.events = POLLIN;
	p.revents = 0;
	return poll(&p, 1, 0) != 0;
}



/* Frame one record of a line-based format (CSV, TSV, JSON lines): see
 * reader.h. Blank lines are those of spaces (and tabs, but for TSV). */
int
rd_frame_lines(struct kx_rows *r, int have_rows, int quote, size_t *next, size_t *nlines)
{
	const char *nl, *q, *ls;
	size_t lines = 0, lim = r->o.lim->line_bytes;
	int rc;

	for (;;) {
		if (r->discard) {
			nl = memchr(r->buf + r->pos, '\n', r->end - r->pos);
			if (nl) {
				r->pos = (size_t)(nl - r->buf) + 1;
				r->line++;
				r->discard = 0;
				continue;
			}
			r->pos = r->end;
			if ((rc = rd_more(r)) < 0)
				return FR_FATAL;
			if (rc == 0)
				return FR_EOF;
			continue;
		}
		ls = r->buf + r->pos + r->fscan;
		nl = memchr(ls, '\n', (size_t)(r->buf + r->end - ls));
		if (!nl && !r->eof) {
			if (r->end - r->pos > lim)
				goto toolong;
			if (r->fscan == 0 && have_rows && !rd_ready(r))
				return FR_BLOCK;
			if ((rc = rd_more(r)) < 0)
				return FR_FATAL;
			continue;
		}
		if (!nl) {
			if (r->pos + r->fscan == r->end) {
				if (r->fquote) {
					/* unterminated quote: report at the opening quote */
					r->rs = r->pos;
					r->re = r->end;
					r->rec_line = r->line;
					return FR_BAD;
				}
				return FR_EOF;
			}
			nl = r->buf + r->end;
		}
		r->no_nl = nl == r->buf + r->end;
		if (quote) {
			for (q = memchr(ls, quote, (size_t)(nl - ls)); q;
			     q = memchr(q + 1, quote, (size_t)(nl - q - 1)))
				r->fquote = !r->fquote;
		}
		lines++;
		if ((size_t)(nl - (r->buf + r->pos)) > lim)
			goto toolong;
		if (r->fquote) {
			/* a newline inside quotes: the record goes on */
			if (nl == r->buf + r->end) {
				r->fscan = r->end - r->pos;
				continue;  /* at EOF: reported above */
			}
			r->fscan = (size_t)(nl + 1 - (r->buf + r->pos));
			continue;
		}
		r->rs = r->pos;
		r->re = (size_t)(nl - r->buf);
		*next = r->re < r->end ? r->re + 1 : r->re;
		*nlines = lines;
		r->fscan = 0;
		r->rec_line = r->line;
		if (r->re > r->rs && r->buf[r->re - 1] == '\r')
			r->re--;
		/* blank line: skip it */
		q = r->buf + r->rs;
		while (q < r->buf + r->re && (*q == ' ' || (*q == '\t' && r->delim != '\t')))
			q++;
		if (q == r->buf + r->re && lines == 1) {
			r->pos = *next;
			r->line += lines;
			lines = 0;
			if (r->pos == r->end && r->eof)
				return FR_EOF;
			continue;
		}
		return FR_OK;
	}
toolong:
	r->rs = r->pos;
	r->re = r->pos;
	r->rec_line = r->line;
	r->fscan = 0;
	r->fquote = 0;
	r->discard = 1;
	r->fail_status = 413;  /* the API's answer to a request over the line limit */
	rd_fail_at(r, r->pos, KX_EXIT_BADINPUT, "line longer than the limit of %zu bytes (KANX_MAX_LINE)", lim);
	r->rej_off = r->pos;
	r->rej_len = 0;
	return FR_BAD;
}


/* The fast path of the line formats, for the common record: a CSV/TSV
 * data row (once any header is behind, and without an id column) of
 * exactly `in` numbers separated by single delimiters, with no spaces,
 * quotes or blank fields; or a JSON-lines bare array of exactly `in` JSON
 * numbers without white space. While the next line is one of these (the
 * format's scan() parses it into row and returns its end, else NULL) and
 * its newline is already in the buffer, parse it straight into the batch
 * in one pass (kx_scan_floats splits the fields as it parses them)
 * instead of framing it with memchr, looking for quotes, splitting it
 * field by field (or walking the JSON grammar) and parsing each field with
 * a call of its own. A line it does not take, good or bad, is left where
 * it is for the general path, which frames and checks it as it always
 * did; so values, records, line numbers and messages are the same either
 * way. Returns 0, or -1 when memory runs out (e set). */
int
rd_lines_fast(struct kx_rows *r, struct kx_batch *b, int form,
              const char *(*scan)(const struct kx_rows *r, const char *s, const char *e, float *row))
{
	const char *e = r->buf + r->end, *s, *p;
	size_t in = r->in, lim = r->o.lim->line_bytes, j, oor;
	const float lo = r->o.lo, hi = r->o.hi;
	struct kx_rec *rec;
	float *row;

	/* rows of the batch's width only: while the width is still unknown
	 * (validate without a model) the general path sets it */
	if (in == 0 || b->in != in || b->x64)   /* float64 rows: the general path */
		return 0;
	while (b->n < b->target) {
		s = r->buf + r->pos;
		row = b->x + b->n * in;
		p = scan(r, s, e, row);
		if (!p || p == e)
			return 0;
		if (*p == '\r') {
			if (p + 1 == e || p[1] != '\n')
				return 0;
			p++;
		}
		if (*p != '\n' || (size_t)(p - s) > lim)
			return 0;
		oor = 0;
		if (r->o.range) {
			for (j = 0; j < in; j++)
				oor += row[j] < lo || row[j] > hi;
			if (oor > 0 && r->o.strict_range)
				return 0;
		}
		if ((rec = kx_batch_rec(b)) == NULL) {
			rd_fail_oom(r);
			return -1;
		}
		rec->row = b->n++;
		rec->n = 1;
		rec->line = r->line;
		rec->id_off = rec->id_len = 0;
		rec->form = (unsigned char)form;
		rec->rank = 1;
		rec->id_kind = KX_ID_NONE;
		r->pos = (size_t)(p + 1 - r->buf);
		r->line++;
		r->recno++;
		r->accepted++;
		r->oor += oor;
	}
	return 0;
}

int
rd_batch_width(struct kx_rows *r, struct kx_batch *b)
{
	float *p;

	if (b->in == r->in)
		return 0;
	if (kx_batch_width(b, r->in) != 0)
		return -1;
	p = realloc(r->dummy, (r->in ? r->in : 1) * sizeof(double));
	if (!p)
		return -1;
	r->dummy = p;
	return 0;
}

/* ---- the driver ------------------------------------------------------------ */

static int
ext_is(const char *path, const char *ext)
{
	size_t n = strlen(path), m = strlen(ext);

	return n > m && strcasecmp(path + n - m, ext) == 0;
}

/* The format whose extension the path has, or KX_IN_AUTO. */
static enum kx_in_fmt
by_extension(const char *path)
{
	char ext[16];
	const char *p, *q;
	size_t i;

	for (i = 1; i < kx_in_n_formats; i++)
		for (p = kx_in_formats[i]->exts; *p; p = *q ? q + 1 : q) {
			q = strchr(p, ' ');
			q = q ? q : p + strlen(p);
			if ((size_t)(q - p) < sizeof ext) {
				memcpy(ext, p, (size_t)(q - p));
				ext[q - p] = '\0';
				if (ext_is(path, ext))
					return (enum kx_in_fmt)i;
			}
		}
	return KX_IN_AUTO;
}

/* The first line of a YAML document: "---", a directive, or a key of a
 * block mapping ("model:", "seed: 42"). */
static int
yaml_like(const char *p, const char *e)
{
	const char *q;

	while (p < e) {
		/* skip blank and comment lines */
		q = memchr(p, '\n', (size_t)(e - p));
		q = q ? q : e;
		while (p < q && (*p == ' ' || *p == '\t' || *p == '\r'))
			p++;
		if (p < q && *p != '#')
			break;
		p = q + (q < e);
	}
	if (p >= e)
		return 0;
	if ((e - p >= 3 && memcmp(p, "---", 3) == 0) || *p == '%')
		return 1;
	if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || *p == '_'))
		return 0;
	while (p < e && ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || *p == '_' ||
	                 (*p >= '0' && *p <= '9')))
		p++;
	return p < e && *p == ':' && (p + 1 == e || p[1] == ' ' || p[1] == '\t' || p[1] == '\n' ||
	                              p[1] == '\r');
}

/* A model or a config given where rows are expected: its kind, or 0. */
static int
misplaced(const struct kx_rows *r, size_t at)
{
	const char *p = r->buf + at, *e = r->buf + r->end;

	if (e - p >= 4 && memcmp(p, "PK\x03\x04", 4) == 0)
		return KX_MISPLACED_MODEL;
	if (e - p >= 8 && memcmp(p, "\x89HDF\r\n\x1a\n", 8) == 0)
		return KX_MISPLACED_WEIGHTS;
	if (ext_is(r->path, ".yaml") || ext_is(r->path, ".yml") ||
	    (r->o.fmt == KX_IN_AUTO && by_extension(r->path) == KX_IN_AUTO && yaml_like(p, e)))
		return KX_MISPLACED_CONFIG;
	return 0;
}

/* --shard: the data starts at buf[at], on line `line`, after `recs`
 * records: locate the shard from there (shard.c) and move the reader to
 * its range, dropping what is buffered. Returns 0, or -1 (fatal, e set;
 * r->stopped when a stop was asked meanwhile). */
static int
shard_move(struct kx_rows *r, size_t at, size_t line, size_t recs)
{
	struct kx_shard_range *g = &r->range;

	if (!r->f->shard) {
		/* "--shard splits CSV, TSV and JSON lines, not ..." */
		char list[256];
		size_t i, n = 0, k = 0, o = 0;
		for (i = 1; i < kx_in_n_formats; i++)
			n += kx_in_formats[i]->shard;
		for (i = 1; i < kx_in_n_formats && o < sizeof list; i++)
			if (kx_in_formats[i]->shard)
				o += (size_t)snprintf(list + o, sizeof list - o, "%s%s", k++ == 0 ? "" :
				                      k == n ? " and " : ", ", kx_in_formats[i]->title);
		return kx_err_set(r->e, KX_EXIT_USAGE, "%s: --shard splits %s, not %s", r->name, list,
		                  r->f->title);
	}
	if (kx_shard_locate_dialect(r->fd, r->name, r->rhi, r->roff - (r->end - at), line, recs,
	                            r->quote, r->delim != '\t', r->o.shard, 0, g, r->e) != 0) {
		r->stopped = kx_stop_signal() != 0;
		return -1;
	}
	r->sharded = 1;
	r->pos = r->end = r->fscan = 0;
	r->fquote = r->discard = 0;
	r->roff = g->lo;
	r->rhi = g->hi;
	r->eof = g->lo >= g->hi;
	r->line = (size_t)g->line;
	r->recno = (size_t)g->recs;
	r->bytes_read = 0;
	r->size = g->hi - g->lo;
	return 0;
}

int
kx_rows_shard_range(const struct kx_rows *r, struct kx_shard_range *g,
                    unsigned long long *line_end)
{
	if (!r->sharded)
		return -1;
	*g = r->range;
	*line_end = r->line;
	return 0;
}

/* Skip a BOM, find the format. Returns 0, or -1 (fatal, e set). */
static int
start(struct kx_rows *r)
{
	size_t i;
	int rc;

	r->started = 1;
	/* read until a byte that is not blank (or the end) */
	for (;;) {
		if (!r->bom_done && r->end - r->pos >= 3) {
			r->bom_done = 1;
			if (memcmp(r->buf + r->pos, "\xef\xbb\xbf", 3) == 0)
				r->pos += 3;
		}
		for (i = r->pos; i < r->end; i++)
			if (r->buf[i] != ' ' && r->buf[i] != '\t' && r->buf[i] != '\r' && r->buf[i] != '\n')
				break;
		if ((i < r->end && r->end - r->pos >= 3) || r->eof)
			break;
		if (r->end - r->pos > r->o.lim->line_bytes)
			break;
		if ((rc = rd_more(r)) < 0)
			return -1;
	}
	if ((r->misplaced = misplaced(r, r->pos)) != 0) {
		static const char *const what[] = {
			"", "this is a zip archive, as a .keras model is, not input rows",
			"this is an HDF5 file, as model weights are, not input rows",
			"this looks like a YAML config, not input rows"
		};
		kx_err_set(r->e, KX_EXIT_BADINPUT, "%s: %s", r->name, what[r->misplaced]);
		r->e->status = 400;
		return -1;
	}
	r->fmt = r->o.fmt;
	if (r->fmt == KX_IN_AUTO)
		r->fmt = by_extension(r->path);
	if (r->fmt == KX_IN_AUTO) {
		/* by content: the highest score, the first on a tie */
		int best = 0, sc;
		size_t k;
		for (k = 1; k < kx_in_n_formats; k++) {
			if (!kx_in_formats[k]->sniff)
				continue;
			if ((sc = kx_in_formats[k]->sniff(r, i)) < 0)
				return -1;
			if (sc > best) {
				best = sc;
				r->fmt = (enum kx_in_fmt)k;
			}
		}
		if (r->fmt == KX_IN_AUTO)
			r->fmt = KX_IN_CSV;
	}
	r->f = kx_in_formats[r->fmt];
	if (r->f->open && r->f->open(r) != 0)
		return -1;
	return 0;
}

int
rd_sniff_reset(struct kx_rows *r, int rc)
{
	r->discard = 0;
	r->fscan = 0;
	r->fquote = 0;
	r->fdone = 0;
	if (rc == FR_FATAL && (r->e->code == KX_EXIT_IO || r->stopped))
		return -1;
	kx_err_clear(r->e);
	return 0;
}

int
kx_rows_fill(struct kx_rows *r, struct kx_batch *b, struct kx_err *e)
{
	const struct kx_in_format *f;
	size_t next = 0, lines = 0, n0, ids0;
	int rc;

	r->e = e;
	r->rej_len = 0;
	r->err_line = r->err_col = 0;
	if (r->fatal)
		return r->stopped ? KX_FILL_STOP : KX_FILL_FATAL;
	if (!r->started) {
		if (start(r) != 0)
			goto fatal;
		/* --shard: no header to read first: move to the shard now */
		if (r->o.shard && !r->head_pending && shard_move(r, r->pos, r->line, 0) != 0)
			goto fatal;
	}
	f = r->f;
	for (;;) {
		if (f->fast && !r->discard && r->fscan == 0 && f->fast(r, b) != 0)
			goto fatal;
		if (b->n >= b->target)
			return KX_FILL_READY;
		rc = f->frame(r, b->n > 0, &next, &lines);
		if (rc == FR_EOF)
			return KX_FILL_EOF;
		if (rc == FR_BLOCK)
			return KX_FILL_READY;
		if (rc == FR_FATAL)
			goto fatal;
		if (rc == FR_BAD) {
			/* refused by its framing (e, rej_off and rej_len set) */
			r->rejected++;
			return KX_FILL_REJECT;
		}
		r->recno++;
		if (r->head_pending) {
			int h;
			r->head_pending = 0;
			if ((h = f->head(r)) < 0)
				goto fatal;
			if (h > 0) {
				r->pos = next;
				r->line += lines;
				/* --shard: the header is read; move to the shard */
				if (r->o.shard && shard_move(r, next, r->line, r->recno) != 0)
					goto fatal;
				continue;
			}
			/* --shard: the first record is data: every shard
			 * locates its range from this record's start */
			if (r->o.shard) {
				if (shard_move(r, r->rs, r->rec_line, r->recno - 1) != 0)
					goto fatal;
				continue;
			}
		}
		n0 = b->n;
		ids0 = b->ids_len;
		r->rec_oor = 0;
		rc = f->record(r, b);
		r->pos = next;
		r->line += lines;
		if (rc != 0) {
			if (r->oom)
				goto fatal;
			b->n = n0;
			b->ids_len = ids0;
			r->rej_off = r->rs;
			r->rej_len = r->re - r->rs;
			r->rejected++;
			return KX_FILL_REJECT;
		}
		r->accepted++;
		r->oor += r->rec_oor;
		if (f->one_per_batch)
			return KX_FILL_READY;  /* one API document per batch */
	}
fatal:
	r->fatal = 1;
	return r->stopped ? KX_FILL_STOP : KX_FILL_FATAL;
}

const char *
kx_rows_reject(const struct kx_rows *r, size_t *len)
{
	*len = r->rej_len;
	return r->buf + r->rej_off;
}

enum kx_in_fmt
kx_rows_format(const struct kx_rows *r)
{
	return r->fmt;
}

const char *
kx_rows_id_name(const struct kx_rows *r)
{
	return r->f && r->f->id_name ? r->f->id_name(r) : NULL;
}

const char *const *
kx_rows_kept(const struct kx_rows *r, size_t *n)
{
	*n = 0;
	return r->f && r->f->kept ? r->f->kept(r, n) : NULL;
}

const char *
kx_rows_header(const struct kx_rows *r, size_t *len)
{
	*len = 0;
	return r->f && r->f->head_text ? r->f->head_text(r, len) : NULL;
}

size_t
kx_rows_out_of_range(const struct kx_rows *r)
{
	return r->oor;
}

size_t
kx_rows_accepted(const struct kx_rows *r)
{
	return r->accepted;
}

size_t
kx_rows_rejected(const struct kx_rows *r)
{
	return r->rejected;
}

int
kx_rows_misplaced(const struct kx_rows *r)
{
	return r->misplaced;
}

const char *
kx_rows_error(const struct kx_rows *r, const struct kx_err *e, size_t *line, size_t *col)
{
	size_t n = strlen(r->name);

	*line = r->err_line;
	*col = r->err_col;
	if (r->err_line && strlen(e->msg) >= r->err_skip)
		return e->msg + r->err_skip;
	if (strncmp(e->msg, r->name, n) == 0 && e->msg[n] == ':' && e->msg[n + 1] == ' ')
		return e->msg + n + 2;
	return e->msg;
}

int
kx_rows_unlinked(const struct kx_rows *r)
{
	struct stat st;

	return r->regular && fstat(r->fd, &st) == 0 && st.st_nlink == 0;
}

void
kx_rows_progress(const struct kx_rows *r, unsigned long long *done, unsigned long long *total)
{
	/* parsed, not read: the buffer reads ahead of the records */
	*done = r->bytes_read - (unsigned long long)(r->end - r->pos);
	*total = r->size;
}
