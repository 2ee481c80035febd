/* reader.h - the inside of the input reader (rows.h), shared by the
 * driver (rows.c) and the input formats (rows_csv.c, rows_jsonl.c,
 * rows_api.c, over the JSON record parser rows_json.c). Not for commands.
 *
 * The driver owns the input: it opens it, reads it into one buffer (with
 * --shard, preads over the shard's range), skips a BOM, refuses a model or
 * a config given as input, resolves the format from the table below, and
 * runs the loop of kx_rows_fill: frame a record (find its bytes whole in
 * the buffer), parse it into the batch, count it as accepted or refused.
 * A format supplies the framing and the parsing, and its own state.
 *
 * An input format is one struct kx_in_format, listed in kx_in_formats[]
 * (rows.c) at the index of its enum kx_in_fmt. */
#ifndef KX_READER_H
#define KX_READER_H

#include <stddef.h>
#include "batch.h"
#include "err.h"
#include "rows.h"
#include "shard.h"

/* What a frame function returns. */
enum { FR_OK, FR_EOF, FR_BLOCK, FR_BAD, FR_FATAL };

struct kx_in_format {
	enum kx_in_fmt id;
	const char *name;        /* for -i NAME and messages: "csv" */
	const char *title;       /* in sentences: "CSV", "JSON lines" */
	const char *exts;        /* file name extensions, space-separated: ".tsv .tab" */
	const char *what;        /* a line for -i list: "comma-separated values" */
	int shard;               /* 1: --shard cuts it (at record starts, framed
	                          * by r->quote and r->delim), 0: refused */
	int one_per_batch;       /* each record is scored as a batch of its own */
	/* By content, when no -i and no extension decides: buf[at] is the
	 * first byte that is not blank. Returns a score (the highest wins, the
	 * first in the table on a tie): 0 not this format, 1 the fallback, 2
	 * this format; -1 when reading failed (e set). May frame ahead (then
	 * rd_sniff_reset); blank lines it frames past stay skipped. */
	int (*sniff)(struct kx_rows *r, size_t at);
	/* Set up the format's state (r->fs) once the format is known.
	 * Returns 0, or -1 (fatal, e set). NULL: no state. */
	int (*open)(struct kx_rows *r);
	void (*close)(struct kx_rows *r);  /* free r->fs; NULL-safe */
	/* Frame the next record at r->pos: as rd_frame_lines (see below). */
	int (*frame)(struct kx_rows *r, int have_rows, size_t *next, size_t *nlines);
	/* The first record when r->head_pending (a CSV header): 1 when it
	 * was taken as a header (not data), 0 when it is data, -1 fatal. */
	int (*head)(struct kx_rows *r);
	/* Parse the record buf[rs, re) into b, appending a struct kx_rec.
	 * Returns 0, or -1 with e set (refused; r->oom marks it fatal). */
	int (*record)(struct kx_rows *r, struct kx_batch *b);
	/* Optional fast path: take whole common records straight from the
	 * buffer (see rd_lines_fast). Returns 0, or -1 (fatal, e set). */
	int (*fast)(struct kx_rows *r, struct kx_batch *b);
	/* The header name of the id column, or NULL. NULL: none ever. */
	const char *(*id_name)(const struct kx_rows *r);
	/* The names of the kept columns (--keep), *n of them. NULL: none. */
	const char *const *(*kept)(const struct kx_rows *r, size_t *n);
	/* The header line as read (for --rejects), or NULL. NULL: none. */
	const char *(*head_text)(const struct kx_rows *r, size_t *len);
};

/* The formats, indexed by enum kx_in_fmt (entry 0, auto, is empty). */
extern const struct kx_in_format kx_in_csv, kx_in_tsv, kx_in_jsonl, kx_in_api;
extern const struct kx_in_format *const kx_in_formats[];
extern const size_t kx_in_n_formats;

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
	int fail_status;        /* the API status of the next rd_fail_at (0: 400) */
	size_t err_line, err_col;  /* where the last rd_fail_at was */
	size_t err_skip;        /* the "NAME:LINE:COL: " prefix of its message */
	int misplaced;          /* enum kx_misplaced */
	int stopped;            /* reading stopped: asked to (stop.h) */
	int oom;                /* the record failed for want of memory: fatal */
	enum kx_in_fmt fmt;
	const struct kx_in_format *f;  /* kx_in_formats[fmt], once resolved */
	void *fs;               /* the format's state */
	int head_pending;       /* f->head is to see the first record */
	unsigned char delim;    /* a delimited format's field delimiter: a tab
	                         * is blank space unless it is the delimiter */
	char quote;             /* its quote character (0: none): framing and
	                         * --shard keep a quoted newline in the record */
	float *dummy;           /* a row to parse into past max_batch rows (room for
	                         * doubles: a float64 model parses into it too) */

	/* per record */
	size_t rec_oor;         /* values out of [lo, hi] in it */
	size_t rs, re;          /* record text buf[rs, re) (absolute offsets) */
	size_t rec_line;
	size_t recno;           /* records seen in this input (1-based of current) */

	/* results */
	size_t oor, accepted, rejected;
	size_t rej_off, rej_len;
	struct kx_err *e;
};

/* ---- services of the driver (rows.c) to the formats ---- */

/* Quote a piece of input for a message: printable ASCII and valid UTF-8
 * as is, other bytes as \xHH, at most about 40 characters. */
void rd_show(const char *s, size_t len, char *out, size_t outsz);

/* Set e to "NAME:LINE:COL: message" for the position buf[at] (counted
 * from the current record's start), with the API status r->fail_status
 * (else 400; 413 for KX_EXIT_TOOBIG). */
void rd_fail_at(struct kx_rows *r, size_t at, int code, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* e: "NAME: out of memory" (KX_EXIT_INTERNAL). */
void rd_fail_oom(struct kx_rows *r);

/* Read more input (1), end of input (0), error or stop (-1, e set). */
int rd_more(struct kx_rows *r);
/* 1 if a read would not block (regular files always). */
int rd_ready(const struct kx_rows *r);

/* Frame one record of a line-based format at pos: one line, extended
 * while the count of the quote character is odd (quote 0: none). On FR_OK the record is
 * buf[rs, re) without its line end, *next is where the following record
 * starts, *nlines the lines it spans. Blank lines are skipped. have_rows:
 * the caller's batch is not empty, so FR_BLOCK may be returned instead of
 * waiting for a pipe. FR_BAD: a line over the limit (refused, e set,
 * r->discard set) or a quote left open at the end of the input (e not
 * set; buf[rs, re) is the rest of the input). */
int rd_frame_lines(struct kx_rows *r, int have_rows, int quote, size_t *next, size_t *nlines);

/* After framing ahead to sniff (rc: what the frame function returned):
 * clear the framing state and the error it set. Returns 0, or -1 when
 * the error was a read error or a stop (e kept). */
int rd_sniff_reset(struct kx_rows *r, int rc);

/* Learning the width: it is r->in now; resize the batch b (empty, or
 * holding rows of this width already) and the spare row. 0 or -1. */
int rd_batch_width(struct kx_rows *r, struct kx_batch *b);

/* The fast path of the line formats: while the next line is whole in the
 * buffer and scan() takes it (returns the end of what it parsed: the
 * line's end, or NULL), append it as a record of one row. See rows.c. */
int rd_lines_fast(struct kx_rows *r, struct kx_batch *b, int form,
                  const char *(*scan)(const struct kx_rows *r, const char *s, const char *e, float *row));

/* Frame one API document (rows_api.c): a JSON value that may span lines,
 * and the rest of the line it ends on. As rd_frame_lines. */
int rd_frame_doc(struct kx_rows *r, int have_rows, size_t *next, size_t *nlines);

/* ---- the JSON record parser (rows_json.c), for jsonl and api ---- */

/* Parse buf[rs, re) as one JSON record (a JSON-lines line, or an API
 * document) into b. As kx_in_format.record. */
int rd_json_record(struct kx_rows *r, struct kx_batch *b);
/* The parser's buffers in r->fs: as kx_in_format.open and .close. */
int rd_json_open(struct kx_rows *r);
void rd_json_close(struct kx_rows *r);

#endif
