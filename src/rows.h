/* rows.h - input readers for predict: CSV/TSV, JSON lines, API request
 * documents, parsed straight into a float batch.
 *
 * A reader turns one input (a path or "-" for stdin) into records. A record
 * is one unit of input that gets one unit of output: a CSV row (one sample),
 * a JSON-lines line (an array: one sample or a 2-D batch; an object
 * {"x": .., "id": ..}), or one API request document {"x": ..} that may
 * span lines. Records are appended to a struct kx_batch until it holds
 * `target` rows, the input ends, or (for pipes) the next read would block.
 *
 * Formats (KX_IN_AUTO resolves them per input, in this order):
 *   1. the extension: .csv -> csv, .tsv/.tab -> tsv, .jsonl/.ndjson ->
 *      jsonl, .json -> api;
 *   2. the first byte that is not blank (after a UTF-8 BOM): '[' -> jsonl;
 *      '{' -> jsonl when that first JSON value ends on the line it starts
 *      on, api when it spans lines; anything else -> csv, or tsv when the
 *      first line holds a tab and no comma.
 *
 * CSV/TSV header (opts.header -1): the first record is a header when
 * every field but the id is a name (not empty, not a number in any
 * spelling strtod reads, with a letter); otherwise it is data, refused
 * like any bad row when it mixes names with numbers. The last line of a
 * CSV/TSV input must end with a newline, else it is refused as cut off.
 *
 * Positions in messages ("FILE:LINE:COL: ...") are 1-based; COL counts
 * characters (UTF-8 sequences) from the start of the line. For CSV the
 * column is where the offending field starts, and the message names the
 * field by number (and by header name when there is one).
 *
 * Hot path: no allocation per row or per field. A line that is just the
 * model's `in` numbers (CSV/TSV: separated by single delimiters; JSON
 * lines: a bare array of JSON numbers without blanks) is parsed straight
 * into the batch in one pass, the fields split as they are parsed; any
 * other line goes the general way: other quote-free CSV lines are split
 * with memchr and parsed with kx_parse_float, a record containing '"' goes
 * through libcsv (CSV_STRICT), JSON through the parser below. Both ways
 * give the same values and the same messages. */
#ifndef KX_ROWS_H
#define KX_ROWS_H

#include <stddef.h>
#include <stdio.h>
#include "batch.h"
#include "err.h"
#include "kxlimits.h"

/* The input formats: one entry each in the table of reader.h, at this
 * index. */
enum kx_in_fmt { KX_IN_AUTO, KX_IN_CSV, KX_IN_TSV, KX_IN_JSONL, KX_IN_API };

struct kx_shard;
struct kx_shard_range;

struct kx_rows_opts {
	enum kx_in_fmt fmt;     /* KX_IN_AUTO: by extension, else sniffed */
	int header;             /* CSV/TSV: -1 detect, 0 none, 1 present */
	const char *id;         /* CSV/TSV: the id column (header name, or a
	                         * 1-based number), kept out of the features and
	                         * passed through; NULL for none */
	size_t in;              /* features per sample the model takes; 0 when
	                         * not known: the first record's width is taken
	                         * (each API document's own), and the batch
	                         * is resized to it (it must start empty) */
	const struct kx_limits *lim;  /* max_batch, line_bytes, json_depth */
	int range;              /* count values outside [lo, hi] */
	float lo, hi;
	int strict_range;       /* a value outside [lo, hi] rejects the record */
	const struct kx_shard *shard;  /* read only this shard of a regular
	                         * file (shard.h); NULL: all of the input */
	/* CSV/TSV dialect and columns (phase 2 of the reader's options) */
	int delim;              /* the field delimiter; 0: the format's, and for
	                         * CSV a first line without ',' but with ';' (else
	                         * '|') takes that */
	int quote;              /* the quote character: -1 (or 0 with no_quote
	                         * unset) '"'; 0 with no_quote: none */
	int no_quote;           /* quotes are plain characters */
	const char *columns;    /* the feature columns, as xsv selects them:
	                         * "a,b", "2-17", "!id,!label"; NULL: every
	                         * column but the kept ones */
	const char *keep;       /* columns copied to the output, "#" the row
	                         * number; NULL: none (but id) */
	int keep_all;           /* keep every column */
};

struct kx_rows;

/* Open PATH ("-" = standard input, named "<stdin>" in messages). Nothing
 * is read yet. Returns NULL with e set: KX_EXIT_IO when the file cannot be
 * opened, KX_EXIT_INTERNAL when memory runs out, KX_EXIT_USAGE when
 * o->shard is set and the input is not a regular file. The options (and
 * the strings and limits they point to) must outlive the reader.
 *
 * With o->shard, the reader reads with pread from the file's start (the
 * file offset is left alone, so a shared standard input is fine): the
 * BOM, the format and the CSV/TSV header come from there; then it moves
 * to the shard's range (kx_shard_locate) and reads that alone, with the
 * whole file's line and record numbers. A first CSV record that is data
 * belongs to the first shard alone. API request documents are refused
 * (KX_FILL_FATAL, KX_EXIT_USAGE). */
struct kx_rows *kx_rows_open(const char *path, const struct kx_rows_opts *o,
                             struct kx_err *e);

enum kx_fill {
	KX_FILL_READY,   /* the batch holds target rows, or an API document,
	                  * or the input would block: score it, then call again */
	KX_FILL_EOF,     /* the input has ended (the batch may still hold rows) */
	KX_FILL_REJECT,  /* one record was refused (e: KX_EXIT_BADINPUT or
	                  * KX_EXIT_TOOBIG, with its position); the batch holds
	                  * the good records before it and reading can go on */
	KX_FILL_FATAL,   /* reading cannot go on (e: I/O error, out of memory,
	                  * a bad CSV header, an unterminated JSON document) */
	KX_FILL_STOP     /* a stop was asked (stop.h): nothing more is read;
	                  * the batch holds the whole records read before */
};

/* Append records to b (which the caller empties with kx_batch_reset after
 * scoring it). Returns an enum kx_fill. */
int kx_rows_fill(struct kx_rows *r, struct kx_batch *b, struct kx_err *e);

/* The original text of the record refused by the last KX_FILL_REJECT,
 * without its final newline; valid until the next kx_rows_fill. *len is 0
 * for an over-long line (it is not kept). */
const char *kx_rows_reject(const struct kx_rows *r, size_t *len);

/* The input's format, once the first kx_rows_fill has resolved it. */
enum kx_in_fmt kx_rows_format(const struct kx_rows *r);

/* The header name of the id column (CSV with a header), or NULL. Valid
 * until kx_rows_close. */
const char *kx_rows_id_name(const struct kx_rows *r);

/* With --columns, --keep or --keep-all (CSV/TSV): the names of the kept
 * columns, in the order their values are stored in each record's id
 * (KX_ID_FIELDS: NUL-separated), *n of them; NULL (and *n 0) when the
 * columns are not mapped (yet: the first kx_rows_fill maps them). Valid
 * until kx_rows_close. */
const char *const *kx_rows_kept(const struct kx_rows *r, size_t *n);

/* The CSV/TSV header line as read (without its line end), *len bytes, or
 * NULL; valid until kx_rows_close. For --rejects. */
const char *kx_rows_header(const struct kx_rows *r, size_t *len);

/* Values of accepted records that fell outside [lo, hi] (opts.range). */
size_t kx_rows_out_of_range(const struct kx_rows *r);

/* Records accepted and refused so far. */
size_t kx_rows_accepted(const struct kx_rows *r);
size_t kx_rows_rejected(const struct kx_rows *r);

/* A model or a config given as input (found by the first bytes: a zip
 * archive, an HDF5 file; by the extension .yaml or .yml, or, when the
 * format is sniffed, a first line like a YAML key "model:"): the first
 * kx_rows_fill is then KX_FILL_FATAL, and this says which it was. */
enum kx_misplaced {
	KX_MISPLACED_NONE,
	KX_MISPLACED_MODEL,    /* a zip archive: a .keras model */
	KX_MISPLACED_WEIGHTS,  /* an HDF5 file: model.weights.h5 */
	KX_MISPLACED_CONFIG    /* a YAML config */
};
int kx_rows_misplaced(const struct kx_rows *r);

/* The position and message of the error e that the last kx_rows_fill
 * set: *line and *col (0 when it has no position), and the message
 * without its "NAME:LINE:COL: " (or "NAME: ") prefix. */
const char *kx_rows_error(const struct kx_rows *r, const struct kx_err *e, size_t *line, size_t *col);

/* 1 when the input is a file that has been removed (unlinked) since it
 * was opened: it is still read to its end, but the caller may say so. */
int kx_rows_unlinked(const struct kx_rows *r);

/* Close (a file the reader opened) and free; accepts NULL. */
void kx_rows_close(struct kx_rows *r);

/* With o->shard, once the reader has moved to the shard (the first
 * kx_rows_fill): its range; *line_end: the line number reading has
 * reached. Returns 0, or -1 when it has not moved (yet). */
int kx_rows_shard_range(const struct kx_rows *r, struct kx_shard_range *g,
                        unsigned long long *line_end);

/* Bytes of the input parsed so far (read, less what waits in the
 * buffer), and its size when it is a regular
 * file (0 when unknown: a pipe or a terminal); with o->shard, of the
 * shard's range. For --progress. */
void kx_rows_progress(const struct kx_rows *r, unsigned long long *done,
                      unsigned long long *total);

/* Name of a format ("csv", ...) and the reverse (-1 for an unknown name). */
const char *kx_in_fmt_name(enum kx_in_fmt f);
int kx_in_fmt_lookup(const char *s, enum kx_in_fmt *out);

/* The names of the formats, in table order, into buf: "csv, tsv, jsonl,
 * api" (last: the separator before the last one, e.g. " or "; NULL for
 * ", "). Returns the length it needed, as snprintf. */
size_t kx_in_fmt_list(char *buf, size_t size, const char *last);

/* The table, one format a line, for -i list:
 * "NAME<tab>EXTENSIONS<tab>TITLE<tab>DESCRIPTION" (extensions
 * space-separated, with their dots; TITLE as in sentences: "JSON lines"). */
void kx_in_fmt_print(FILE *f);

/* A delimiter or quote character as an option gives it: one byte (not
 * a newline or NUL), or "\t" or "tab" for a tab. Returns it, or -1. */
int kx_in_parse_char(const char *s);

#endif
