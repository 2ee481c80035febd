/* rows.c - input readers for predict (see rows.h).
 *
 * Reading: read(2) into one buffer that only grows up to line_bytes plus a
 * read chunk; with --shard, pread(2) from the file's start, then over the
 * shard's byte range (shard_move, shard.c). A record is first framed (its bytes found whole in the
 * buffer), then parsed in place into the batch. Framing: CSV - one line,
 * extended while the count of '"' is odd (a newline inside quotes); JSON
 * lines - one line; API documents - bracket matching outside strings.
 *
 * CSV parsing: a record without '"' is split with memchr (quote-free
 * numeric CSV is nearly all real input, and libcsv tokenises it about ten
 * times slower: measured 206 MB/s against 2.6 GB/s on 1M rows x 16
 * columns, which alone would use up the 1M rows/s budget). A record with
 * '"' is handed to libcsv in strict mode, which owns quoting rules. Both
 * paths feed the same per-field handler.
 *
 * JSON: a small recursive-descent parser that validates the whole record
 * (UTF-8, escapes, duplicate keys, depth) and writes x's numbers straight
 * into the batch. */
#include <csv.h>
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
#include "numfmt.h"
#include "rows.h"
#include "shard.h"
#include "stop.h"

#define RD_INIT ((size_t)1 << 20)   /* initial buffer */
#define RD_CHUNK ((size_t)1 << 20)  /* most bytes asked of one read(2) */
#define SMALL_OBJ 32                /* objects up to this many keys: pairwise dup check */
#define NO_COL SIZE_MAX

enum { FR_OK, FR_EOF, FR_BLOCK, FR_BAD, FR_FATAL };

struct key {                /* a key of an object being parsed */
	size_t off, len;        /* decoded bytes in r->keys */
	const char *at;         /* where the key starts in the record */
};

struct skey {               /* for sorting a large object's keys */
	const char *k;
	size_t len;
	const char *at;
};

struct kx_rows {
	char *name;             /* "<stdin>" or the path, for messages */
	char *path;
	int fd, own_fd, regular;
	unsigned long long bytes_read, size;  /* for progress; size 0 = unknown */
	/* --shard: reads are preads at roff, up to rhi; the range once moved */
	unsigned long long roff, rhi;
	int sharded;
	struct kx_shard_range range;
	struct kx_rows_opts o;
	size_t in;

	/* buffer: unconsumed input is buf[pos, end) */
	char *buf;
	size_t cap, maxcap, pos, end;
	int eof;
	size_t line;            /* line number of buf[pos] */
	size_t fscan;           /* framing: bytes after pos already scanned */
	int fquote;             /* CSV framing: inside quotes at fscan */
	size_t fdepth;          /* API framing state */
	int fstr, fesc, fdone;
	int bom_done;
	int discard;            /* drop bytes up to the next newline */
	int started, fatal;
	int no_nl;              /* the record just framed ends the input without a newline */
	int learn;              /* the width is not known: the first record gives it
	                         * (each API document its own) */
	int width_set;          /* learning: r->in holds the width */
	int fail_status;        /* the API status of the next fail_at (0: 400) */
	size_t err_line, err_col;  /* where the last fail_at was */
	size_t err_skip;        /* the "NAME:LINE:COL: " prefix of its message */
	int misplaced;          /* enum kx_misplaced */
	int first_mixed;        /* CSV: the first line mixed names with other fields */
	int stopped;            /* reading stopped: asked to (stop.h) */
	enum kx_in_fmt fmt;
	unsigned char delim;

	/* CSV */
	int header;             /* -1 undecided, 0 no, 1 yes (after the first record) */
	size_t id_col;          /* 0-based field index, or NO_COL */
	int id_by_name;
	int header_done;
	char *names;            /* header names, NUL-separated */
	size_t names_len, names_cap;
	size_t *name_off;
	size_t n_names, cap_names;
	struct csv_parser csv;
	int csv_live;
	/* the CSV record being parsed */
	struct kx_batch *b;
	float *row;
	size_t fk;              /* fields seen */
	size_t extra_k;         /* field index of the first surplus feature, or NO_COL */
	int ferr;               /* a field was bad: the record is refused */
	size_t ferr_k;
	int ferr_kind;
	char ferr_text[64];
	size_t id_off, id_len;
	int has_id;
	int oom;

	/* per record */
	size_t rec_oor;
	size_t rs, re;          /* record text buf[rs, re) (absolute offsets) */
	size_t rec_line;
	size_t recno;           /* records seen in this input (1-based of current) */

	/* JSON */
	char *keys;
	size_t keys_len, keys_cap;
	struct key *keyv;
	size_t n_keys, cap_keys;
	struct skey *sortv;
	size_t cap_sort;
	char *scratch;
	size_t scratch_cap;
	float *dummy;           /* a row to parse into past max_batch rows */

	/* results */
	size_t oor, accepted, rejected;
	size_t rej_off, rej_len;
	struct kx_err *e;
};

/* ---- small helpers ---------------------------------------------------- */

static int
grow(void **p, size_t *cap, size_t need, size_t size)
{
	size_t ncap = *cap ? *cap : 16, bytes;
	void *np;

	if (need <= *cap)
		return 0;
	while (ncap < need) {
		if (kx_mul(ncap, 2, &ncap) != 0)
			return -1;
	}
	if (kx_mul(ncap, size, &bytes) != 0)
		return -1;
	np = realloc(*p, bytes);
	if (!np)
		return -1;
	*p = np;
	*cap = ncap;
	return 0;
}

/* Length of the valid UTF-8 sequence at s (s < e), or 0. */
static size_t
utf8_seq(const unsigned char *s, const unsigned char *e)
{
	unsigned c = s[0];
	size_t n, i;
	unsigned long cp;

	if (c < 0x80)
		return 1;
	if (c < 0xc2)
		return 0;
	if (c < 0xe0) {
		n = 2;
		cp = c & 0x1f;
	} else if (c < 0xf0) {
		n = 3;
		cp = c & 0x0f;
	} else if (c < 0xf5) {
		n = 4;
		cp = c & 0x07;
	} else {
		return 0;
	}
	if ((size_t)(e - s) < n)
		return 0;
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return n;
}

/* Offset of the first byte of s[0, len) that is not valid UTF-8, or -1. */
static ptrdiff_t
utf8_bad(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s, *e = p + len;
	size_t n;

	while (p < e) {
		if (*p < 0x80) {
			p++;
			continue;
		}
		n = utf8_seq(p, e);
		if (n == 0)
			return (ptrdiff_t)(p - (const unsigned char *)s);
		p += n;
	}
	return -1;
}

/* Quote a piece of input for a message: printable ASCII and valid UTF-8
 * as is, other bytes as \xHH, at most about 40 characters. */
static void
show(const char *s, size_t len, char *out, size_t outsz)
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
		} else if (*p >= 0x80 && (n = utf8_seq(p, e)) > 0) {
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

/* Set e to "NAME:LINE:COL: message" for the position buf[at]. */
static void
fail_at(struct kx_rows *r, size_t at, int code, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void
fail_at(struct kx_rows *r, size_t at, int code, const char *fmt, ...)
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

static void
fail_oom(struct kx_rows *r)
{
	kx_err_set(r->e, KX_EXIT_INTERNAL, "%s: out of memory", r->name);
}

/* ---- the batch -------------------------------------------------------- */

int
kx_batch_init(struct kx_batch *b, size_t in, size_t out, size_t target,
              size_t max_batch, struct kx_err *e)
{
	memset(b, 0, sizeof *b);
	b->in = in;
	b->out = out;
	b->target = target ? target : 1;
	if (kx_add(b->target - 1, max_batch ? max_batch : 1, &b->max_cap) != 0)
		goto oom;
	if (in > SIZE_MAX / sizeof(float) || out > SIZE_MAX / sizeof(float))
		goto oom;
	b->cap = b->target;
	b->x = kx_mallocarray(b->cap, (in ? in : 1) * sizeof(float));
	b->y = kx_mallocarray(b->cap, (out ? out : 1) * sizeof(float));
	if (!b->x || !b->y)
		goto oom;
	return 0;
oom:
	kx_batch_fini(b);
	return kx_err_set(e, KX_EXIT_INTERNAL, "out of memory for a batch of %zu rows", target);
}

void
kx_batch_reset(struct kx_batch *b)
{
	b->n = 0;
	b->n_recs = 0;
	b->ids_len = 0;
}

void
kx_batch_fini(struct kx_batch *b)
{
	if (!b)
		return;
	free(b->x);
	free(b->y);
	free(b->recs);
	free(b->ids);
	memset(b, 0, sizeof *b);
}

/* Make room for rows [0, need) in x and y. */
static int
batch_rows(struct kx_batch *b, size_t need)
{
	size_t ncap = b->cap, bx, by;
	float *nx, *ny;

	if (need <= b->cap)
		return 0;
	if (need > b->max_cap)
		return -1;
	while (ncap < need)
		ncap = ncap > b->max_cap / 2 ? b->max_cap : ncap * 2;
	if (kx_mul(ncap, (b->in ? b->in : 1) * sizeof(float), &bx) != 0 ||
	    kx_mul(ncap, (b->out ? b->out : 1) * sizeof(float), &by) != 0)
		return -1;
	nx = realloc(b->x, bx);
	if (!nx)
		return -1;
	b->x = nx;
	ny = realloc(b->y, by);
	if (!ny)
		return -1;
	b->y = ny;
	b->cap = ncap;
	return 0;
}

static int
batch_ids(struct kx_batch *b, size_t more)
{
	size_t need;

	if (kx_add(b->ids_len, more, &need) != 0)
		return -1;
	return grow((void **)&b->ids, &b->ids_cap, need, 1);
}

/* Learning the width (opts.in 0): it is r->in now; size the batch b
 * (empty, or holding rows of this width already) and the spare row. */
static int
batch_width(struct kx_rows *r, struct kx_batch *b)
{
	size_t bytes, in = r->in ? r->in : 1;
	float *p;

	if (b->in == r->in)
		return 0;
	if (b->n > 0 || kx_mul(b->cap, in * sizeof(float), &bytes) != 0 || in > SIZE_MAX / sizeof(float))
		return -1;
	p = realloc(b->x, bytes);
	if (!p)
		return -1;
	b->x = p;
	b->in = r->in;
	p = realloc(r->dummy, in * sizeof(float));
	if (!p)
		return -1;
	r->dummy = p;
	return 0;
}

/* ---- opening, reading ------------------------------------------------- */

const char *
kx_in_fmt_name(enum kx_in_fmt f)
{
	switch (f) {
	case KX_IN_CSV: return "csv";
	case KX_IN_TSV: return "tsv";
	case KX_IN_JSONL: return "jsonl";
	case KX_IN_API: return "api";
	default: return "auto";
	}
}

int
kx_in_fmt_lookup(const char *s, enum kx_in_fmt *out)
{
	static const enum kx_in_fmt all[] = { KX_IN_AUTO, KX_IN_CSV, KX_IN_TSV, KX_IN_JSONL, KX_IN_API };
	size_t i;

	for (i = 0; i < sizeof all / sizeof all[0]; i++)
		if (strcmp(s, kx_in_fmt_name(all[i])) == 0) {
			*out = all[i];
			return 0;
		}
	return -1;
}

struct kx_rows *
kx_rows_open(const char *path, const struct kx_rows_opts *o, struct kx_err *e)
{
	struct kx_rows *r = calloc(1, sizeof *r);
	struct stat st;
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
	r->header = o->header;
	r->id_col = NO_COL;
	r->path = strdup(path);
	r->name = strdup(strcmp(path, "-") == 0 ? "<stdin>" : path);
	r->cap = RD_INIT;
	if (kx_add(o->lim->line_bytes, RD_CHUNK + 1, &r->maxcap) != 0)
		r->maxcap = SIZE_MAX;
	if (r->maxcap < r->cap)
		r->maxcap = r->cap;
	r->buf = malloc(r->cap);
	r->dummy = kx_mallocarray(r->in ? r->in : 1, sizeof(float));
	if (!r->path || !r->name || !r->buf || !r->dummy) {
		kx_err_set(e, KX_EXIT_INTERNAL, "out of memory");
		goto fail;
	}
	if (o->id) {
		size_t idx;
		if (kx_parse_size(o->id, 1, SIZE_MAX, &idx) == 0) {
			r->id_col = idx - 1;
		} else if (o->header == 0) {
			kx_err_set(e, KX_EXIT_USAGE, "--id %s names a column, but --no-header says there is no header", o->id);
			goto fail;
		} else {
			r->id_by_name = 1;
			r->header = 1;
		}
	}
	if (strcmp(path, "-") == 0) {
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
	if (r->csv_live)
		csv_free(&r->csv);
	free(r->name);
	free(r->path);
	free(r->buf);
	free(r->names);
	free(r->name_off);
	free(r->keys);
	free(r->keyv);
	free(r->sortv);
	free(r->scratch);
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
static int
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
			fail_oom(r);
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

/* 1 if a read would not block (regular files always). */
static int
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

/* ---- framing ---------------------------------------------------------- */

/* Frame one record of a line-based format (CSV, TSV, JSON lines) starting
 * at pos. On FR_OK, the record is buf[rs, re) without its line end, and
 * *next is where the following record starts. Blank lines are skipped.
 * have_rows: the caller's batch is not empty, so FR_BLOCK may be returned
 * instead of waiting for a pipe. */
static int
frame_lines(struct kx_rows *r, int have_rows, int quotes, size_t *next, size_t *nlines)
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
		if (quotes) {
			for (q = memchr(ls, '"', (size_t)(nl - ls)); q;
			     q = memchr(q + 1, '"', (size_t)(nl - q - 1)))
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
	fail_at(r, r->pos, KX_EXIT_BADINPUT, "line longer than the limit of %zu bytes (KANX_MAX_LINE)", lim);
	r->rej_off = r->pos;
	r->rej_len = 0;
	return FR_BAD;
}

/* Frame one API document (a JSON value that may span lines) and the rest
 * of the line it ends on; a line that does not start a document ('{' or
 * '[') is framed alone, for the parser to refuse. */
static int
frame_doc(struct kx_rows *r, int have_rows, size_t *next, size_t *nlines)
{
	const char *p, *e, *nl;
	size_t lim = r->o.lim->line_bytes, lines;
	int rc;

	for (;;) {
		if (r->fscan == 0) {
			/* skip blank space between documents */
			while (r->pos < r->end) {
				char c = r->buf[r->pos];
				if (c == '\n')
					r->line++;
				else if (c != ' ' && c != '\t' && c != '\r')
					break;
				r->pos++;
			}
			if (r->pos == r->end) {
				if (r->eof)
					return FR_EOF;
				if (have_rows && !rd_ready(r))
					return FR_BLOCK;
				if ((rc = rd_more(r)) < 0)
					return FR_FATAL;
				continue;
			}
			r->fdepth = 0;
			r->fstr = r->fesc = 0;
			r->fdone = r->buf[r->pos] != '{' && r->buf[r->pos] != '[';
		}
		p = r->buf + r->pos + r->fscan;
		e = r->buf + r->end;
		for (; !r->fdone && p < e; p++) {
			char c = *p;
			if (r->fstr) {
				if (r->fesc)
					r->fesc = 0;
				else if (c == '\\')
					r->fesc = 1;
				else if (c == '"')
					r->fstr = 0;
			} else if (c == '"') {
				r->fstr = 1;
			} else if (c == '{' || c == '[') {
				r->fdepth++;
			} else if ((c == '}' || c == ']') && --r->fdepth == 0) {
				r->fdone = 1;
			}
		}
		if (r->fdone) {
			nl = memchr(p, '\n', (size_t)(e - p));
			if (nl || r->eof) {
				p = nl ? nl : e;
				break;
			}
		} else if (r->eof) {
			r->rs = r->pos;
			r->re = r->end;
			r->rec_line = r->line;
			r->fail_status = 422;  /* the API: a JSON decode error */
			fail_at(r, r->pos, KX_EXIT_BADINPUT,
			        "unexpected end of input in the JSON document that starts here");
			return FR_FATAL;
		}
		r->fscan = r->end - r->pos;
		if (r->fscan > lim) {
			r->rs = r->re = r->pos;
			r->rec_line = r->line;
			r->fail_status = 413;
			fail_at(r, r->pos, KX_EXIT_BADINPUT,
			        "JSON document longer than the limit of %zu bytes (KANX_MAX_LINE)", lim);
			return FR_FATAL;
		}
		if ((rc = rd_more(r)) < 0)
			return FR_FATAL;
	}
	r->rs = r->pos;
	r->re = (size_t)(p - r->buf);
	r->rec_line = r->line;
	r->fscan = 0;
	r->fdone = 0;
	if (r->re - r->rs > lim) {
		r->fail_status = 413;
		fail_at(r, r->pos, KX_EXIT_BADINPUT,
		        "JSON document longer than the limit of %zu bytes (KANX_MAX_LINE)", lim);
		return FR_FATAL;
	}
	*next = r->re < r->end ? r->re + 1 : r->re;
	lines = 1;
	for (p = r->buf + r->rs; (p = memchr(p, '\n', (size_t)(r->buf + r->re - p))) != NULL; p++)
		lines++;
	*nlines = lines;
	if (r->re > r->rs && r->buf[r->re - 1] == '\r')
		r->re--;
	return FR_OK;
}

/* ---- CSV ---------------------------------------------------------------- */

enum { FE_NUM = 1, FE_NUL, FE_UTF8, FE_RANGE };

/* Start of field k of the current record (0-based), skipping spaces; the
 * record's end when it has fewer fields. */
static size_t
csv_field_at(const struct kx_rows *r, size_t k)
{
	const char *p = r->buf + r->rs, *e = r->buf + r->re, *a;
	int inq = 0;

	while (k > 0 && p < e) {
		if (*p == '"')
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
	return r->header == 1 && k < r->n_names ? r->names + r->name_off[k] : NULL;
}

static void
csv_field_error(struct kx_rows *r, size_t k, int kind, const char *s, size_t len)
{
	size_t n = len < sizeof r->ferr_text - 1 ? len : sizeof r->ferr_text - 1;

	r->ferr = kind;
	r->ferr_k = k;
	memcpy(r->ferr_text, s, n);
	r->ferr_text[n] = '\0';
	r->ferr_kind = kind;
}

/* Store the id field (plain text) in the batch. */
static void
csv_id(struct kx_rows *r, size_t k, const char *s, size_t len)
{
	if (memchr(s, '\0', len)) {
		csv_field_error(r, k, FE_NUL, s, len);
		return;
	}
	if (utf8_bad(s, len) >= 0) {
		csv_field_error(r, k, FE_UTF8, s, len);
		return;
	}
	if (batch_ids(r->b, len) != 0) {
		r->oom = 1;
		return;
	}
	memcpy(r->b->ids + r->b->ids_len, s, len);
	r->id_off = r->b->ids_len;
	r->id_len = len;
	r->b->ids_len += len;
	r->has_id = 1;
}

/* The per-field handler of data rows: s[0, len) is the field, trimmed. */
static inline void
csv_value(struct kx_rows *r, const char *s, size_t len)
{
	size_t k = r->fk++, j;
	int st;
	float v;

	if (r->ferr)
		return;
	if (k == r->id_col) {
		csv_id(r, k, s, len);
		return;
	}
	j = k > r->id_col ? k - 1 : k;
	if (j >= r->in) {
		if (r->extra_k == NO_COL)
			r->extra_k = k;
		return;
	}
	st = kx_parse_float(s, len, &v);
	if (st != KX_NUM_OK) {
		csv_field_error(r, k, st == KX_NUM_EMPTY ? KX_NUM_EMPTY : st, s, len);
		if (st == KX_NUM_SYNTAX) {
			if (memchr(s, '\0', len))
				r->ferr = r->ferr_kind = FE_NUL;
			else if (utf8_bad(s, len) >= 0)
				r->ferr = r->ferr_kind = FE_UTF8;
			else
				r->ferr = r->ferr_kind = FE_NUM;
		}
		return;
	}
	r->row[j] = v;
	if (r->o.range && (v < r->o.lo || v > r->o.hi)) {
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
	((struct kx_rows *)data)->fk++;
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
	if (r->csv_live)
		return 0;
	if (csv_init(&r->csv, CSV_STRICT | CSV_APPEND_NULL | CSV_STRICT_FINI) != 0)
		return -1;
	csv_set_delim(&r->csv, r->delim);
	csv_set_space_func(&r->csv, r->delim == '\t' ? csv_is_space : csv_is_space_tab);
	csv_set_term_func(&r->csv, csv_is_term);
	r->csv_live = 1;
	return 0;
}

/* Split the current record into fields, calling fn for each. Returns 0, or
 * -1 with e set for a quoting error or out of memory. */
static int
csv_split(struct kx_rows *r, void (*cb)(void *, size_t, void *))
{
	const char *p = r->buf + r->rs, *e = r->buf + r->re, *q, *a, *z;
	const char d = (char)r->delim;
	size_t n;

	if (!memchr(p, '"', (size_t)(e - p))) {
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
		fail_oom(r);
		return -1;
	}
	n = csv_parse(&r->csv, p, (size_t)(e - p), cb, csv_cb_row, r);
	if (n < (size_t)(e - p) || csv_fini(&r->csv, cb, csv_cb_row, r) != 0) {
		int err = csv_error(&r->csv);
		csv_free(&r->csv);
		r->csv_live = 0;
		if (err == CSV_ENOMEM || err == CSV_ETOOBIG) {
			fail_oom(r);
			return -1;
		}
		if (n >= (size_t)(e - p)) {
			/* csv_fini: a quoted field never closed; framing makes this
			 * the unterminated-quote case handled by the caller */
			n = (size_t)(e - p);
		}
		fail_at(r, r->rs + n, KX_EXIT_BADINPUT,
		        "malformed quoted field: a closing quote must be followed by %s or the end of the line",
		        d == '\t' ? "a tab" : "a comma");
		r->ferr = -1;
		return -1;
	}
	return 0;
}

/* The first record: collect its fields as names. */
static void
csv_cb_name(void *s, size_t len, void *data)
{
	struct kx_rows *r = data;
	size_t need;

	if (r->oom)
		return;
	if (kx_add(r->names_len, len + 1, &need) != 0 ||
	    grow((void **)&r->name_off, &r->cap_names, r->n_names + 1, sizeof(size_t)) != 0 ||
	    grow((void **)&r->names, &r->names_cap, need, 1) != 0) {
		r->oom = 1;
		return;
	}
	memcpy(r->names + r->names_len, s, len);
	r->names[r->names_len + len] = '\0';
	r->name_off[r->n_names++] = r->names_len;
	r->names_len = need;
	if (!r->ferr && (memchr(s, '\0', len) || utf8_bad(s, len) >= 0)) {
		r->ferr = memchr(s, '\0', len) ? FE_NUL : FE_UTF8;
		r->ferr_k = r->n_names - 1;
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

/* Decide on and take in the header from the first record. Returns 1 when
 * the record was a header, 0 when it is data, -1 (fatal) with e set. */
static int
csv_header(struct kx_rows *r)
{
	size_t i, nf, in_cols;

	r->header_done = 1;
	r->n_names = 0;
	r->names_len = 0;
	r->ferr = 0;
	if (csv_split(r, csv_cb_name) != 0)
		return -1;
	if (r->oom) {
		fail_oom(r);
		return -1;
	}
	nf = r->n_names;
	if (r->header < 0) {
		/* a header when every field but the id is a name (name_like);
		 * a line of numbers, or of anything else, is data, and so is a
		 * line that mixes names with other fields: a bad row then, with
		 * a note on why it is no header */
		size_t names = 0, others = 0;
		for (i = 0; i < nf; i++) {
			const char *s = r->names + r->name_off[i];
			if (i == r->id_col)
				continue;
			if (name_like(s))
				names++;
			else
				others++;
		}
		r->header = names > 0 && others == 0;
		r->first_mixed = names > 0 && others > 0;
	}
	if (r->header == 0)
		return 0;
	if (r->ferr) {
		fail_at(r, csv_field_at(r, r->ferr_k), KX_EXIT_BADINPUT, "header field %zu: %s",
		        r->ferr_k + 1, r->ferr == FE_NUL ? "NUL byte in input" : "invalid UTF-8");
		return -1;
	}
	if (r->id_by_name) {
		for (i = 0; i < nf; i++)
			if (strcmp(r->names + r->name_off[i], r->o.id) == 0)
				break;
		if (i == nf) {
			char s[128];
			show(r->o.id, strlen(r->o.id), s, sizeof s);
			fail_at(r, r->rs, KX_EXIT_BADINPUT, "no column named %s in the header (--id)", s);
			return -1;
		}
		r->id_col = i;
	} else if (r->id_col != NO_COL && r->id_col >= nf) {
		fail_at(r, r->rs, KX_EXIT_BADINPUT, "no column %zu: the header has %zu columns (--id)",
		        r->id_col + 1, nf);
		return -1;
	}
	in_cols = nf - (r->id_col != NO_COL ? 1 : 0);
	if (r->learn && !r->width_set) {
		r->in = in_cols;
		r->width_set = 1;
	}
	if (in_cols != r->in) {
		fail_at(r, r->rs, KX_EXIT_BADINPUT,
		        "the header has %zu feature columns; Expected %zu features per sample",
		        in_cols, r->in);
		return -1;
	}
	return 1;
}

/* Parse the current record as a data row into the batch. Returns 0, or -1
 * with e set (the record is refused; r->oom marks a fatal failure). */
static int
csv_row(struct kx_rows *r, struct kx_batch *b)
{
	size_t got;
	char s[128], nm[160];
	const char *name;

	r->b = b;
	r->row = b->x + b->n * b->in;
	r->fk = 0;
	r->extra_k = NO_COL;
	r->ferr = 0;
	r->has_id = 0;
	r->rec_oor = 0;
	if (csv_split(r, csv_cb_field) != 0)
		return -1;
	if (r->oom) {
		fail_oom(r);
		return -1;
	}
	if (r->ferr) {
		size_t k = r->ferr_k;
		name = csv_name(r, k);
		if (name) {
			char nq[128];
			show(name, strlen(name), nq, sizeof nq);
			snprintf(nm, sizeof nm, "field %zu (%s)", k + 1, nq);
		} else {
			snprintf(nm, sizeof nm, "field %zu", k + 1);
		}
		show(r->ferr_text, strlen(r->ferr_text), s, sizeof s);
		switch (r->ferr_kind) {
		case KX_NUM_EMPTY:
			fail_at(r, csv_field_at(r, k), KX_EXIT_BADINPUT, "%s: empty field; expected a number", nm);
			break;
		case KX_NUM_RANGE:
			fail_at(r, csv_field_at(r, k), KX_EXIT_BADINPUT,
			        "%s: %s is out of the float32 range", nm, s);
			break;
		case FE_NUL:
			fail_at(r, csv_field_at(r, k), KX_EXIT_BADINPUT, "%s: NUL byte in input", nm);
			break;
		case FE_UTF8:
			fail_at(r, csv_field_at(r, k), KX_EXIT_BADINPUT, "%s: invalid UTF-8", nm);
			break;
		case FE_RANGE: {
			char lo[KX_FLOAT_BUF], hi[KX_FLOAT_BUF];
			kx_format_float(r->o.lo, lo);
			kx_format_float(r->o.hi, hi);
			fail_at(r, csv_field_at(r, k), KX_EXIT_BADINPUT,
			        "%s: %s is outside the grid range [%s, %s] of layer 0 (--strict-range)",
			        nm, r->ferr_text, lo, hi);
			break;
		}
		default:
			fail_at(r, csv_field_at(r, k), KX_EXIT_BADINPUT,
			        "%s: expected a plain decimal number, got %s", nm, s);
		}
		return -1;
	}
	got = r->fk - (r->id_col < r->fk ? 1 : 0);
	if (got != r->in) {
		fail_at(r, got > r->in ? csv_field_at(r, r->extra_k) : r->re, KX_EXIT_BADINPUT,
		        "Expected %zu features per sample, got %zu", r->in, got);
		return -1;
	}
	return 0;
}

/* The fast path of the line formats, for the common record: a CSV/TSV
 * data row (once any header is behind, and without an id column) of
 * exactly `in` numbers separated by single delimiters, with no spaces,
 * quotes or blank fields; or a JSON-lines bare array of exactly `in` JSON
 * numbers without white space. While the next line is one of these and
 * its newline is already in the buffer, parse it straight into the batch
 * in one pass (kx_scan_floats splits the fields as it parses them)
 * instead of framing it with memchr, looking for quotes, splitting it
 * field by field (or walking the JSON grammar) and parsing each field with
 * a call of its own. A line it does not take, good or bad, is left where
 * it is for the general path, which frames and checks it as it always
 * did; so values, records, line numbers and messages are the same either
 * way. Returns 0, or -1 when memory runs out (e set). */
static int
lines_fast(struct kx_rows *r, struct kx_batch *b, int json)
{
	const char *e = r->buf + r->end, *s, *p;
	const char d = (char)r->delim;
	size_t in = r->in, lim = r->o.lim->line_bytes, j, oor;
	const float lo = r->o.lo, hi = r->o.hi;
	struct kx_rec *rec;
	float *row;

	while (b->n < b->target) {
		s = r->buf + r->pos;
		row = b->x + b->n * in;
		if (json) {
			if (s == e || *s != '[')
				return 0;
			p = kx_scan_json_floats(s + 1, e, row, in);
			if (!p || p == e || *p != ']')
				return 0;
			p++;
		} else {
			p = kx_scan_floats(s, e, d, row, in);
		}
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
		if (b->n_recs == b->cap_recs &&
		    grow((void **)&b->recs, &b->cap_recs, b->n_recs + 1, sizeof *b->recs) != 0) {
			fail_oom(r);
			return -1;
		}
		rec = &b->recs[b->n_recs++];
		rec->row = b->n++;
		rec->n = 1;
		rec->line = r->line;
		rec->id_off = rec->id_len = 0;
		rec->form = json ? KX_FORM_ARRAY : KX_FORM_ROW;
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

/* ---- JSON ----------------------------------------------------------------- */

struct jp {
	struct kx_rows *r;
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
		fail_at(j->r, (size_t)(at - j->r->buf), code, "record %zu: %s", j->r->recno, msg);
	else
		fail_at(j->r, (size_t)(at - j->r->buf), code, "%s", msg);
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
	if (*p >= 0x80 && utf8_seq(p, (const unsigned char *)j->e) == 0)
		return JFAIL(j, j->p, "invalid UTF-8");
	show(j->p, (size_t)(j->e - j->p) < 12 ? (size_t)(j->e - j->p) : 12, s, sizeof s);
	return JFAIL(j, j->p, "expected %s, got %s", expected, s);
}

/* Validate the string at j->p (which is '"'); leave p after it. *esc is
 * set when it holds escapes (the raw bytes then differ from the text). */
static int
j_string(struct jp *j, int *esc)
{
	const char *start = j->p;
	const unsigned char *p = (const unsigned char *)j->p + 1, *e = (const unsigned char *)j->e;
	size_t n;
	int i;

	*esc = 0;
	while (p < e) {
		unsigned c = *p;
		if (c == '"') {
			j->p = (const char *)p + 1;
			return 0;
		}
		if (c == '\\') {
			*esc = 1;
			if (p + 1 >= e)
				break;
			switch (p[1]) {
			case '"': case '\\': case '/': case 'b': case 'f': case 'n': case 'r': case 't':
				p += 2;
				continue;
			case 'u': {
				unsigned long u = 0;
				for (i = 0; i < 4; i++) {
					unsigned h = p + 2 + i < e ? p[2 + i] : 0;
					if (!((h >= '0' && h <= '9') || (h >= 'a' && h <= 'f') || (h >= 'A' && h <= 'F')))
						return JFAIL(j, (const char *)p, "invalid \\u escape in a string");
					u = u * 16 + (h <= '9' ? h - '0' : (h | 0x20) - 'a' + 10);
				}
				if (u >= 0xdc00 && u <= 0xdfff)
					return JFAIL(j, (const char *)p, "lone low surrogate in a string");
				if (u >= 0xd800 && u <= 0xdbff) {
					unsigned long lo = 0;
					if (p + 12 > e || p[6] != '\\' || p[7] != 'u')
						return JFAIL(j, (const char *)p, "lone high surrogate in a string");
					for (i = 0; i < 4; i++) {
						unsigned h = p[8 + i];
						if (!((h >= '0' && h <= '9') || (h >= 'a' && h <= 'f') || (h >= 'A' && h <= 'F')))
							return JFAIL(j, (const char *)p + 6, "invalid \\u escape in a string");
						lo = lo * 16 + (h <= '9' ? h - '0' : (h | 0x20) - 'a' + 10);
					}
					if (lo < 0xdc00 || lo > 0xdfff)
						return JFAIL(j, (const char *)p, "lone high surrogate in a string");
					p += 12;
				} else {
					p += 6;
				}
				continue;
			}
			default:
				return JFAIL(j, (const char *)p, "invalid escape in a string");
			}
		}
		if (c < 0x20)
			return JFAIL(j, (const char *)p, c == 0 ? "NUL byte in input" :
			             "control character in a string (escape it)");
		if (c < 0x80) {
			p++;
			continue;
		}
		n = utf8_seq(p, e);
		if (n == 0)
			return JFAIL(j, (const char *)p, "invalid UTF-8");
		p += n;
	}
	return JFAIL(j, start, "unterminated string");
}

static unsigned long
hex4(const char *p)
{
	unsigned long u = 0;
	int i;

	for (i = 0; i < 4; i++) {
		unsigned h = (unsigned char)p[i];
		u = u * 16 + (h <= '9' ? h - '0' : (h | 0x20) - 'a' + 10);
	}
	return u;
}

/* Decode a validated string s[0, len) (without quotes) into out, which
 * has room for len bytes (decoding never grows the text). Returns the
 * decoded length. */
static size_t
j_unescape(const char *s, size_t len, char *out)
{
	const char *p = s, *e = s + len;
	size_t o = 0;
	unsigned long u;

	while (p < e) {
		if (*p != '\\') {
			out[o++] = *p++;
			continue;
		}
		switch (p[1]) {
		case 'b': out[o++] = '\b'; p += 2; continue;
		case 'f': out[o++] = '\f'; p += 2; continue;
		case 'n': out[o++] = '\n'; p += 2; continue;
		case 'r': out[o++] = '\r'; p += 2; continue;
		case 't': out[o++] = '\t'; p += 2; continue;
		case 'u': break;
		default: out[o++] = p[1]; p += 2; continue;
		}
		u = hex4(p + 2);
		p += 6;
		if (u >= 0xd800 && u <= 0xdbff) {
			u = 0x10000 + ((u - 0xd800) << 10) + (hex4(p + 2) - 0xdc00);
			p += 6;
		}
		if (u < 0x80) {
			out[o++] = (char)u;
		} else if (u < 0x800) {
			out[o++] = (char)(0xc0 | (u >> 6));
			out[o++] = (char)(0x80 | (u & 0x3f));
		} else if (u < 0x10000) {
			out[o++] = (char)(0xe0 | (u >> 12));
			out[o++] = (char)(0x80 | ((u >> 6) & 0x3f));
			out[o++] = (char)(0x80 | (u & 0x3f));
		} else {
			out[o++] = (char)(0xf0 | (u >> 18));
			out[o++] = (char)(0x80 | ((u >> 12) & 0x3f));
			out[o++] = (char)(0x80 | ((u >> 6) & 0x3f));
			out[o++] = (char)(0x80 | (u & 0x3f));
		}
	}
	return o;
}

/* The end of the JSON number at p, or NULL when there is none. */
static const char *
num_end(const char *p, const char *e)
{
	if (p < e && *p == '-')
		p++;
	if (p < e && *p == '0') {
		p++;
	} else if (p < e && *p >= '1' && *p <= '9') {
		while (p < e && *p >= '0' && *p <= '9')
			p++;
	} else {
		return NULL;
	}
	if (p < e && *p == '.') {
		p++;
		if (!(p < e && *p >= '0' && *p <= '9'))
			return NULL;
		while (p < e && *p >= '0' && *p <= '9')
			p++;
	}
	if (p < e && (*p == 'e' || *p == 'E')) {
		p++;
		if (p < e && (*p == '+' || *p == '-'))
			p++;
		if (!(p < e && *p >= '0' && *p <= '9'))
			return NULL;
		while (p < e && *p >= '0' && *p <= '9')
			p++;
	}
	return p;
}

/* Validate a JSON number at j->p; leave p after it. */
static int
j_number(struct jp *j)
{
	const char *e = j->e, *start = j->p, *p = num_end(start, e);

	if (p) {
		j->p = p;
		return 0;
	}
	{
		char s[64];
		const char *z = start;
		while (z < e && z - start < 24 && *z != ',' && *z != ']' && *z != '}' &&
		       *z != ' ' && *z != '\t' && *z != '\r' && *z != '\n')
			z++;
		show(start, (size_t)(z - start), s, sizeof s);
		return JFAIL(j, start, "invalid number %s (plain decimal JSON numbers only)", s);
	}
}

static int j_value(struct jp *j);

static int
j_enter(struct jp *j)
{
	if (++j->depth > j->r->o.lim->json_depth)
		return JFAIL(j, j->p, "nested deeper than %zu levels", j->r->o.lim->json_depth);
	return 0;
}

static int
skey_cmp(const void *a, const void *b)
{
	const struct skey *x = a, *y = b;
	size_t n = x->len < y->len ? x->len : y->len;
	int c = memcmp(x->k, y->k, n);

	if (c)
		return c;
	if (x->len != y->len)
		return x->len < y->len ? -1 : 1;
	return x->at < y->at ? -1 : x->at > y->at;
}

static int
j_dup(struct jp *j, const struct key *k)
{
	char s[96];

	show(j->r->keys + k->off, k->len, s, sizeof s);
	return JFAIL(j, k->at, "duplicate key %s", s);
}

/* Push the key whose raw string (with quotes) is [at, end); check it
 * against the object's earlier keys when the object is small. */
static int
j_key(struct jp *j, size_t base, const char *at, const char *end, int esc)
{
	struct kx_rows *r = j->r;
	size_t raw = (size_t)(end - at) - 2, need, i;
	struct key *k;

	if (kx_add(r->keys_len, raw, &need) != 0 ||
	    grow((void **)&r->keys, &r->keys_cap, need ? need : 1, 1) != 0 ||
	    grow((void **)&r->keyv, &r->cap_keys, r->n_keys + 1, sizeof *r->keyv) != 0) {
		r->oom = 1;
		fail_oom(r);
		return -1;
	}
	k = &r->keyv[r->n_keys++];
	k->off = r->keys_len;
	k->at = at;
	if (esc)
		k->len = j_unescape(at + 1, raw, r->keys + r->keys_len);
	else
		memcpy(r->keys + r->keys_len, at + 1, k->len = raw);
	r->keys_len += k->len;
	if (r->n_keys - base <= SMALL_OBJ) {
		for (i = base; i + 1 < r->n_keys; i++)
			if (r->keyv[i].len == k->len &&
			    memcmp(r->keys + r->keyv[i].off, r->keys + k->off, k->len) == 0)
				return j_dup(j, k);
	}
	return 0;
}

/* After an object with more than SMALL_OBJ keys: sort them and look for a
 * duplicate (the pairwise check covered the first SMALL_OBJ). */
static int
j_dups_large(struct jp *j, size_t base)
{
	struct kx_rows *r = j->r;
	size_t n = r->n_keys - base, i;

	if (n <= SMALL_OBJ)
		return 0;
	if (grow((void **)&r->sortv, &r->cap_sort, n, sizeof *r->sortv) != 0) {
		r->oom = 1;
		fail_oom(r);
		return -1;
	}
	for (i = 0; i < n; i++) {
		r->sortv[i].k = r->keys + r->keyv[base + i].off;
		r->sortv[i].len = r->keyv[base + i].len;
		r->sortv[i].at = r->keyv[base + i].at;
	}
	qsort(r->sortv, n, sizeof *r->sortv, skey_cmp);
	for (i = 0; i + 1 < n; i++)
		if (r->sortv[i].len == r->sortv[i + 1].len &&
		    memcmp(r->sortv[i].k, r->sortv[i + 1].k, r->sortv[i].len) == 0) {
			char s[96];
			show(r->sortv[i + 1].k, r->sortv[i + 1].len, s, sizeof s);
			return JFAIL(j, r->sortv[i + 1].at, "duplicate key %s", s);
		}
	return 0;
}

static int j_x(struct jp *j);
static int j_id(struct jp *j);

/* An object at j->p. top: the record itself, whose "x" and "id" are read. */
static int
j_object(struct jp *j, int top)
{
	struct kx_rows *r = j->r;
	size_t base = r->n_keys, kbase = r->keys_len;
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
		if (j_string(j, &esc) != 0 || j_key(j, base, at, j->p, esc) != 0)
			return -1;
		j_ws(j);
		if (j->p >= j->e || *j->p != ':')
			return j_unexpected(j, "':'");
		j->p++;
		j_ws(j);
		if (top && r->keyv[r->n_keys - 1].len == 1 && r->keys[r->keyv[r->n_keys - 1].off] == 'x')
			rc = j_x(j);
		else if (top && r->keyv[r->n_keys - 1].len == 2 &&
		         memcmp(r->keys + r->keyv[r->n_keys - 1].off, "id", 2) == 0)
			rc = j_id(j);
		else
			rc = j_value(j);
		if (rc != 0)
			return -1;
		j_ws(j);
		if (j->p < j->e && *j->p == ',') {
			j->p++;
			continue;
		}
		if (j->p < j->e && *j->p == '}') {
			j->p++;
			break;
		}
		return j_unexpected(j, "',' or '}'");
	}
	if (j_dups_large(j, base) != 0)
		return -1;
done:
	r->n_keys = base;
	r->keys_len = kbase;
	j->depth--;
	return 0;
}

static int
j_array(struct jp *j)
{
	if (j_enter(j) != 0)
		return -1;
	j->p++;
	j_ws(j);
	if (j->p < j->e && *j->p == ']') {
		j->p++;
		j->depth--;
		return 0;
	}
	for (;;) {
		j_ws(j);
		if (j_value(j) != 0)
			return -1;
		j_ws(j);
		if (j->p < j->e && *j->p == ',') {
			j->p++;
			continue;
		}
		if (j->p < j->e && *j->p == ']') {
			j->p++;
			break;
		}
		return j_unexpected(j, "',' or ']'");
	}
	j->depth--;
	return 0;
}

static int
j_lit(struct jp *j, const char *word)
{
	size_t n = strlen(word);

	if ((size_t)(j->e - j->p) >= n && memcmp(j->p, word, n) == 0) {
		j->p += n;
		return 0;
	}
	return j_unexpected(j, "a JSON value");
}

/* Validate any value (its contents are not kept). */
static int
j_value(struct jp *j)
{
	int esc;

	if (j->p >= j->e)
		return j_unexpected(j, "a JSON value");
	switch (*j->p) {
	case '{': return j_object(j, 0);
	case '[': return j_array(j);
	case '"': return j_string(j, &esc);
	case 't': return j_lit(j, "true");
	case 'f': return j_lit(j, "false");
	case 'n': return j_lit(j, "null");
	default:
		if (*j->p == '-' || (*j->p >= '0' && *j->p <= '9'))
			return j_number(j);
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
		if (batch_ids(b, (size_t)(j->p - at)) != 0)
			goto oom;
		j->id_off = b->ids_len;
		j->id_len = esc ? j_unescape(at + 1, (size_t)(j->p - at) - 2, b->ids + b->ids_len)
		                : (size_t)(j->p - at) - 2;
		if (!esc)
			memcpy(b->ids + b->ids_len, at + 1, j->id_len);
		b->ids_len += j->id_len;
		j->id_kind = KX_ID_TEXT;
		return 0;
	}
	if (j_value(j) != 0)
		return -1;
	if (batch_ids(b, (size_t)(j->p - at)) != 0)
		goto oom;
	o = b->ids_len;
	for (p = at; p < j->p; p++) {
		char c = *p;
		if (instr) {
			if (bs)
				bs = 0;
			else if (c == '\\')
				bs = 1;
			else if (c == '"')
				instr = 0;
		} else if (c == '"') {
			instr = 1;
		} else if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
			continue;
		}
		b->ids[o++] = c;
	}
	j->id_off = b->ids_len;
	j->id_len = o - b->ids_len;
	b->ids_len = o;
	j->id_kind = KX_ID_JSON;
	return 0;
oom:
	j->r->oom = 1;
	fail_oom(j->r);
	return -1;
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
			if (instr) {
				if (bs)
					bs = 0;
				else if (c == '\\')
					bs = 1;
				else if (c == '"')
					instr = 0;
			} else if (c == '"') {
				instr = 1;
			} else if (c == '[' || c == '{') {
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
	int st;

	if (j->rows < r->o.lim->max_batch) {
		if (batch_rows(b, j->row0 + j->rows + 1) != 0) {
			r->oom = 1;
			fail_oom(r);
			return -1;
		}
		row = b->x + (j->row0 + j->rows) * in;
	} else {
		row = r->dummy;  /* past the max batch: parse, count, and drop */
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
			if (utf8_bad(t, (size_t)(z - t)) >= 0)
				return JFAIL(j, t + utf8_bad(t, (size_t)(z - t)), "invalid UTF-8");
			show(t, (size_t)(z - t), s, sizeof s);
			return JFAIL(j, t, "%s: expected a plain decimal number, got %s", AT_, s);
		}
number:
		if (count < in) {
			st = kx_parse_float(t, (size_t)(j->p - t), &v);
			if (st != KX_NUM_OK) {
				char s[64];
				show(t, (size_t)(j->p - t), s, sizeof s);
				return J400(j, t, "%s: %s is out of the float32 range", AT_, s);
			}
			row[count] = v;
			if (r->o.range && (v < r->o.lo || v > r->o.hi)) {
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
		j_ws(j);
		if (j->p < j->e && *j->p == ',') {
			j->p++;
			continue;
		}
		if (j->p < j->e && *j->p == ']') {
			j->p++;
			break;
		}
		return j_unexpected(j, "',' or ']'");
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
		if (batch_width(j->r, j->b) != 0) {
			j->r->oom = 1;
			fail_oom(j->r);
			return -1;
		}
	}
	if (j->p >= j->e || *j->p != '[') {
		if (j->p < j->e && (*j->p == '-' || (*j->p >= '0' && *j->p <= '9'))) {
			if (j_number(j) != 0)
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
			j_ws(j);
			if (j->p < j->e && *j->p == ',') {
				j->p++;
				continue;
			}
			if (j->p < j->e && *j->p == ']') {
				j->p++;
				break;
			}
			return j_unexpected(j, "',' or ']'");
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

/* Parse the current record (buf[rs, re)) as JSON into the batch. */
static int
json_record(struct kx_rows *r, struct kx_batch *b)
{
	struct jp j;
	int rc;

	memset(&j, 0, sizeof j);
	j.r = r;
	j.b = b;
	j.s = j.p = r->buf + r->rs;
	j.e = r->buf + r->re;
	j.row0 = b->n;
	r->rec_oor = 0;
	r->n_keys = 0;
	r->keys_len = 0;
	j_ws(&j);
	if (j.p < j.e && *j.p == '{') {
		rc = j_object(&j, 1);
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
	if (grow((void **)&b->recs, &b->cap_recs, b->n_recs + 1, sizeof *b->recs) != 0) {
		r->oom = 1;
		fail_oom(r);
		return -1;
	}
	{
		struct kx_rec *rec = &b->recs[b->n_recs++];
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

/* ---- the driver ------------------------------------------------------------ */

static int
ext_is(const char *path, const char *ext)
{
	size_t n = strlen(path), m = strlen(ext);

	return n > m && strcasecmp(path + n - m, ext) == 0;
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
	    (r->o.fmt == KX_IN_AUTO && !ext_is(r->path, ".csv") && !ext_is(r->path, ".tsv") &&
	     !ext_is(r->path, ".tab") && !ext_is(r->path, ".jsonl") && !ext_is(r->path, ".ndjson") &&
	     !ext_is(r->path, ".json") && yaml_like(p, e)))
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
	int framing = r->fmt == KX_IN_CSV ? KX_SHARD_CSV : r->fmt == KX_IN_TSV ? KX_SHARD_TSV : KX_SHARD_LINES;

	if (r->fmt == KX_IN_API)
		return kx_err_set(r->e, KX_EXIT_USAGE, "%s: --shard splits CSV, TSV and JSON lines, "
		                  "not API request documents", r->name);
	if (kx_shard_locate(r->fd, r->name, r->rhi, r->roff - (r->end - at), line, recs,
	                    framing, r->o.shard, 0, g, r->e) != 0) {
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
	size_t i, next, lines;
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
	if (r->fmt == KX_IN_AUTO) {
		if (ext_is(r->path, ".csv"))
			r->fmt = KX_IN_CSV;
		else if (ext_is(r->path, ".tsv") || ext_is(r->path, ".tab"))
			r->fmt = KX_IN_TSV;
		else if (ext_is(r->path, ".jsonl") || ext_is(r->path, ".ndjson"))
			r->fmt = KX_IN_JSONL;
		else if (ext_is(r->path, ".json"))
			r->fmt = KX_IN_API;
	}
	if (r->fmt == KX_IN_AUTO) {
		char c = i < r->end ? r->buf[i] : 0;
		if (c == '[') {
			r->fmt = KX_IN_JSONL;
		} else if (c == '{') {
			/* one JSON value per line, or one document over several */
			size_t pos = r->pos, line = r->line;
			r->fmt = KX_IN_API;
			rc = frame_doc(r, 0, &next, &lines);
			r->fmt = (rc == FR_OK && lines == 1) ? KX_IN_JSONL : KX_IN_API;
			r->pos = pos;
			r->line = line;
			r->fscan = 0;
			r->fdone = 0;
			if (rc == FR_FATAL && (r->e->code == KX_EXIT_IO || r->stopped))
				return -1;
			kx_err_clear(r->e);
		} else {
			/* CSV, or TSV when the first line has a tab and no comma */
			rc = frame_lines(r, 0, 0, &next, &lines);
			r->fmt = KX_IN_CSV;
			if (rc == FR_OK && memchr(r->buf + r->rs, '\t', r->re - r->rs) &&
			    !memchr(r->buf + r->rs, ',', r->re - r->rs))
				r->fmt = KX_IN_TSV;
			if (rc == FR_FATAL && (r->e->code == KX_EXIT_IO || r->stopped))
				return -1;
			r->discard = 0;
			r->fscan = 0;
			r->fquote = 0;
			kx_err_clear(r->e);
		}
	}
	r->delim = r->fmt == KX_IN_TSV ? '\t' : ',';
	return 0;
}

int
kx_rows_fill(struct kx_rows *r, struct kx_batch *b, struct kx_err *e)
{
	size_t next = 0, lines = 0, n0, ids0;
	int rc, csv, fast;

	r->e = e;
	r->rej_len = 0;
	r->err_line = r->err_col = 0;
	if (r->fatal)
		return r->stopped ? KX_FILL_STOP : KX_FILL_FATAL;
	if (!r->started) {
		if (start(r) != 0)
			goto fatal;
		/* --shard: no header to read first: move to the shard now */
		if (r->o.shard && (r->fmt == KX_IN_JSONL || r->fmt == KX_IN_API || r->header == 0) &&
		    shard_move(r, r->pos, r->line, 0) != 0)
			goto fatal;
	}
	csv = r->fmt == KX_IN_CSV || r->fmt == KX_IN_TSV;
	for (;;) {
		if (csv)
			fast = r->id_col == NO_COL && !r->id_by_name && r->in > 0 &&
			       (r->header_done || r->header == 0);
		else
			fast = r->fmt == KX_IN_JSONL && r->in > 0 && r->o.lim->max_batch >= 1 &&
			       r->o.lim->json_depth >= 1;
		if (fast && !r->discard && r->fscan == 0 && lines_fast(r, b, !csv) != 0)
			goto fatal;
		if (b->n >= b->target)
			return KX_FILL_READY;
		if (r->fmt == KX_IN_API)
			rc = frame_doc(r, b->n > 0, &next, &lines);
		else
			rc = frame_lines(r, b->n > 0, csv, &next, &lines);
		if (rc == FR_EOF)
			return KX_FILL_EOF;
		if (rc == FR_BLOCK)
			return KX_FILL_READY;
		if (rc == FR_FATAL)
			goto fatal;
		if (rc == FR_BAD) {
			if (r->discard) {
				/* an over-long line: it is being skipped */
				r->rejected++;
				return KX_FILL_REJECT;
			}
			/* unterminated quote at the end of the input */
			{
				const char *p = r->buf + r->rs, *open = p;
				int inq = 0;
				for (; p < r->buf + r->re; p++)
					if (*p == '"') {
						if (!inq)
							open = p;
						inq = !inq;
					}
				fail_at(r, (size_t)(open - r->buf), KX_EXIT_BADINPUT, "unterminated quoted field");
			}
			while (r->re > r->rs && (r->buf[r->re - 1] == '\n' || r->buf[r->re - 1] == '\r'))
				r->re--;
			r->rej_off = r->rs;
			r->rej_len = r->re - r->rs;
			r->pos = r->end;
			r->fquote = 0;
			r->fscan = 0;
			r->rejected++;
			return KX_FILL_REJECT;
		}
		r->recno++;
		n0 = b->n;
		ids0 = b->ids_len;
		if (csv) {
			if (!r->header_done && r->header != 0) {
				int h = csv_header(r);
				if (h < 0)
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
			if (r->learn && !r->width_set) {
				/* the first data row gives the width */
				r->fk = 0;
				(void)csv_split(r, csv_cb_count);  /* a quoting error: csv_row says it */
				r->in = r->fk - (r->id_col < r->fk ? 1 : 0);
				r->width_set = 1;
			}
			if (b->in != r->in && batch_width(r, b) != 0) {
				fail_oom(r);
				goto fatal;
			}
			if (r->no_nl) {
				/* the input ends inside this line: a number cut
				 * short still reads as a number, so it is refused
				 * whatever it holds */
				fail_at(r, r->re, KX_EXIT_BADINPUT, "the last line has no newline: the input "
				        "looks cut off here (end the line if it is whole)");
				rc = -1;
			} else {
				rc = csv_row(r, b);
			}
			if (rc != 0 && r->first_mixed && r->recno == 1 && !r->oom && !r->no_nl)
				kx_err_add(e, KX_EXIT_BADINPUT,
				           "the first line is not a header: a header has a name in every column");
			if (rc == 0) {
				if (grow((void **)&b->recs, &b->cap_recs, b->n_recs + 1, sizeof *b->recs) != 0) {
					fail_oom(r);
					goto fatal;
				}
				b->recs[b->n_recs].row = b->n;
				b->recs[b->n_recs].n = 1;
				b->recs[b->n_recs].line = r->rec_line;
				b->recs[b->n_recs].form = KX_FORM_ROW;
				b->recs[b->n_recs].rank = 1;
				b->recs[b->n_recs].id_kind = r->has_id ? KX_ID_TEXT : KX_ID_NONE;
				b->recs[b->n_recs].id_off = r->id_off;
				b->recs[b->n_recs].id_len = r->id_len;
				b->n_recs++;
				b->n++;
			}
		} else {
			if (r->learn && r->fmt == KX_IN_API)
				r->width_set = 0;  /* each document is a batch of its own */
			rc = json_record(r, b);
		}
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
		if (r->fmt == KX_IN_API)
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
	if (r->header == 1 && r->id_col != NO_COL && r->id_col < r->n_names)
		return r->names + r->name_off[r->id_col];
	return NULL;
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
	*done = r->bytes_read;
	*total = r->size;
}
