/* cmd_predict.c - kanx predict: score input rows with a checkpoint.
 *
 * kanx predict -m MODEL [OPTIONS] [INPUT ...]
 *
 * Each input (a path, or "-"/none for stdin) is read in batches by rows.c,
 * scored with kx_model_forward, and written by output.c as each batch is
 * ready, through a sink (sink.h) that keeps the output ending with a whole
 * record whatever happens; with -o FILE the output goes to a temporary
 * file put in place only when the run succeeds (ofile.h). The read ->
 * forward -> write loop is run_input(). Exit statuses: 0 ok (also when
 * --on-error skip refused records within the error budget), 2 usage, 3/4
 * model, 5 a bad record (400 class) or refused records over the error
 * budget, 6 a request over the max batch (413), 7 I/O (including a failed
 * write to stdout), 8 out of memory, 128+N stopped by signal N (main.c). */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "clock.h"
#include "err.h"
#include "kanx.h"
#include "layer.h"
#include "kernel.h"
#include "kxlimits.h"
#include "dtype.h"
#include "model.h"
#include "numfmt.h"
#include "ofile.h"
#include "output.h"
#include "progress.h"
#include "rows.h"
#include "shard.h"
#include "sink.h"
#include "spec.h"
#include "stop.h"

const struct kx_cmd kx_cmd_predict;

/* Batches in flight with 2+ threads: one being read, up to three handed
 * over; enough that the reading thread can run a batch or two ahead of
 * scoring (a pipe delivers unevenly) and little memory (a 1024-row batch
 * of 16 features is under 100 KB). */
#define SLOTS 4
/* Fewest rows in a chunk (unless the batch is smaller): below this the
 * per-call cost of the forward pass (dispatch; with the BLIS kernel,
 * packing the weights) shows. */
#define MIN_CHUNK 64

enum {
	O_HEADER = 256, O_NOHEADER, O_ID, O_MAXBATCH, O_NOOUTHDR, O_ONERROR,
	O_REJECTS, O_STRICT, O_PROGRESS, O_NOPROGRESS, O_STATS, O_MAXERR, O_MAXRATE,
	O_SHARD, O_HEADEROUT, O_QUOTE, O_NOQUOTE, O_COLUMNS, O_KEEP, O_KEEPALL, O_ROWNO,
	O_OUTNAMES
};

/* --header-out: which runs write the CSV/TSV output header */
enum { HO_FIRST, HO_ALWAYS, HO_NEVER };

static const struct kx_optdef opts[] = {
	{ "model", 'm', "MODEL", 'm', "the .keras checkpoint (default: $KANX_CHECKPOINT)" },
	{ "format", 'f', "FMT", 'f', "output: csv (default), tsv, jsonl or api" },
	{ "input-format", 'i', "FMT", 'i', "input: csv, tsv, jsonl or api (default: by extension, else by content); list: show them" },
	{ "header", 0, NULL, O_HEADER, "CSV/TSV input starts with a header row (default: detect)" },
	{ "no-header", 0, NULL, O_NOHEADER, "CSV/TSV input has no header row" },
	{ "id", 0, "COL", O_ID, "pass column COL (header name or number) through as the first output column" },
	{ "delimiter", 'd', "CHAR", 'd', "CSV field delimiter, e.g. ';', '|' or tab (default: ',', or ';' or '|' when the first line has no ',')" },
	{ "quote", 0, "CHAR", O_QUOTE, "CSV quote character (default '\"')" },
	{ "no-quote", 0, NULL, O_NOQUOTE, "CSV fields are not quoted: quote characters are data" },
	{ "columns", 0, "COLS", O_COLUMNS, "the feature columns: names or numbers from 1, ranges, !drops (\"f0,f1\", \"2-17\", \"!id,!label\")" },
	{ "keep", 0, "COLS", O_KEEP, "copy input columns (as --columns names them; '#': the row number) to the output, first" },
	{ "keep-all", 0, NULL, O_KEEPALL, "copy every input column to the output, first" },
	{ "row-number", 0, NULL, O_ROWNO, "copy the input row number to the output, first (--keep '#')" },
	{ "output-names", 0, "NAMES", O_OUTNAMES, "names of the output columns, comma-separated (default: y0, y1, ...)" },
	{ "batch-size", 'b', "N", 'b', "score N rows at a time (default: the max batch or 1024, the smaller)" },
	{ "max-batch", 0, "N", O_MAXBATCH, "most rows in one request or record, else exit 6 (default: $KANX_MAX_BATCH or 4096)" },
	{ "precision", 'p', "N", 'p', "print N significant digits, 1-9 (default: shortest exact)" },
	{ "no-output-header", 0, NULL, O_NOOUTHDR, "write CSV/TSV output without its header line (--header-out never)" },
	{ "header-out", 0, "WHEN", O_HEADEROUT, "CSV/TSV output header: first (default: unless --shard K/N with K > 1), always or never" },
	{ "shard", 0, "K/N", O_SHARD, "score only shard K of N (from 1) of one file, cut at record starts; auto, auto/N: from an array job (Slurm, Grid Engine, Kubernetes)" },
	{ "output", 'o', "FILE", 'o', "write to FILE, replacing it only when the run succeeds (default: standard output)" },
	{ "on-error", 0, "MODE", O_ONERROR, "stop: exit 5/6 at the first bad record (default); skip: report each on stderr and go on" },
	{ "max-errors", 0, "N", O_MAXERR, "with skip: exit 5 at the end when more than N records were refused (default 0)" },
	{ "max-error-rate", 0, "R", O_MAXRATE, "with skip: exit 5 at the end when more than the share R (0 to 1) of records were refused" },
	{ "rejects", 0, "FILE", O_REJECTS, "copy each refused record to FILE (implies --on-error skip)" },
	{ "strict-range", 0, NULL, O_STRICT, "a value outside layer 0's grid range is a bad record (exit 5)" },
	{ "threads", 't', "N", 't', "threads for reading and scoring (default: $KANX_THREADS, else all cores)" },
	{ "progress", 0, NULL, O_PROGRESS, "show rows done and rows/s on stderr: redrawn on a terminal, a plain line every 10 s elsewhere (default: when stderr is a terminal)" },
	{ "no-progress", 0, NULL, O_NOPROGRESS, "do not show progress" },
	{ "stats", 0, NULL, O_STATS, "print a summary on stderr at the end: records, rows, batches, wall time, rows/s, thread-seconds per stage" },
	{ NULL, 0, NULL, 0, NULL }
};

struct predict {
	/* options */
	const char *model_path;
	enum kx_out_fmt ofmt;
	struct kx_rows_opts ro;
	size_t batch;
	int batch_set;
	int list_formats;         /* -i list: print the input formats */
	int row_number;           /* --row-number */
	const char *keep;         /* --keep as given */
	char *keep_buf;           /* "#,KEEP" for --row-number */
	const char *out_names;    /* --output-names */
	int rej_header;           /* the --rejects file has the input's header line */
	size_t prec;
	int header_out;           /* HO_* */
	struct kx_shard shard;    /* shard.n == 0: no --shard */
	int skip;
	size_t max_errors;        /* --max-errors, when max_errors_set */
	int max_errors_set;
	double max_rate;          /* --max-error-rate, when max_rate_set */
	int max_rate_set;
	const char *rejects_path;
	const char *out_path;     /* -o FILE, or NULL for standard output */
	size_t threads;
	int threads_set;
	int progress;             /* -1: when stderr is a terminal */
	int stats;
	struct kx_limits lim;

	/* state */
	struct kx_model *model;
	struct kx_work *work;     /* unpiped: the forward pass's work area */
	unsigned char *cols64;    /* a float64 model (its input or an output is float64):
	                           * which output columns are float64 (kx_model_out64) */
	struct kx_batch *fill;    /* the batch being read into */
	struct kx_out *out;
	struct kx_sink *sink;        /* where the output goes */
	struct kx_sink osink;        /* -o FILE's */
	struct kx_ofile ofile;
	int ofile_open;
	struct kx_sink rsink;        /* --rejects FILE's */
	int rejects_fd;
	int id_named;
	size_t rejected, accepted, oor;
	size_t rows_out, batches;    /* counted by whoever writes */
	struct kx_shard_range range; /* --shard: the range read, for --stats */
	unsigned long long range_end_line;
	int have_range;
	double t_start;              /* ms, for --stats */
	size_t rows_read;            /* rows handed to scoring so far */
	struct kx_progress prog;     /* --progress's display */
	int progress_tty;            /* stderr is a terminal */
	/* --stats: ms spent in each stage */
	double ms_read;              /* kx_rows_fill: reading and parsing */
	double ms_fwd, ms_out;       /* forward pass (summed over threads); formatting and writing */
	double ms_rwait, ms_swait;   /* reader idle for want of a free batch; workers idle */

	/* With 2+ threads (piped): the reading thread (this one) fills the
	 * batches of a ring while threads-1 workers score them; any thread
	 * takes chunks of rows of the oldest batch not fully handed out, each
	 * with a single-threaded work area of its own, and whoever finishes
	 * the oldest batch formats and writes it, so batches go out in input
	 * order. The reading thread, when every batch is taken, scores chunks
	 * too instead of waiting: the machine's cores stay busy with exactly
	 * `threads` threads, none waiting for a stage on another. Batches
	 * [head, tail) are handed over and not written yet; slot tail %
	 * SLOTS is the one being read into. Without threads, slot 0 is read,
	 * scored and written in turn. */
	int piped;
	struct slot {
		struct kx_batch b;
		size_t next;          /* rows handed out to be scored */
		size_t done;          /* rows scored */
		double t0, ms;        /* when scoring began; its wall time (for api output) */
	} slots[SLOTS];
	size_t head, tail;
	size_t chunk;             /* rows one thread scores at a time */
	struct kx_work *works[KX_MAX_THREADS];  /* [0] the reading thread's, then one a worker */
	pthread_t tid[KX_MAX_THREADS];
	struct worker_arg {
		struct predict *p;
		size_t id;            /* its work area: works[id] */
	} args[KX_MAX_THREADS];
	size_t n_workers;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int writing;              /* a thread is writing batches out (in order) */
	int quit;
	int score_rc;             /* the first error of scoring or writing */
};

static int
bad_choice(const char *opt, const char *v, const char *choices)
{
	kx_msg("invalid value '%s' for %s: expected one of %s", v, opt, choices);
	return KX_EXIT_USAGE;
}

static int
opt_cb(void *ctx, int val, const char *arg)
{
	struct predict *p = ctx;
	enum kx_in_fmt inf;

	switch (val) {
	case 'm':
		p->model_path = arg;
		return 0;
	case 'f':
		if (kx_out_fmt_lookup(arg, &p->ofmt) != 0) {
			bad_choice("--format", arg, "csv, tsv, jsonl, api");
			if (strcmp(arg, "json") == 0 || strcmp(arg, "ndjson") == 0)
				kx_msg("did you mean -f jsonl (one JSON value per line) or -f api (API responses)?");
			return KX_EXIT_USAGE;
		}
		return 0;
	case 'i':
		if (strcmp(arg, "list") == 0) {
			p->list_formats = 1;
			return 0;
		}
		if (kx_in_fmt_lookup(arg, &inf) != 0 || inf == KX_IN_AUTO) {
			char names[256];
			kx_in_fmt_list(names, sizeof names, NULL);
			bad_choice("--input-format", arg, names);
			if (strcmp(arg, "json") == 0 || strcmp(arg, "ndjson") == 0)
				kx_msg("did you mean -i jsonl (one JSON value per line) or -i api (API request documents)?");
			return KX_EXIT_USAGE;
		}
		p->ro.fmt = inf;
		return 0;
	case O_HEADER:
		p->ro.header = 1;
		return 0;
	case O_NOHEADER:
		p->ro.header = 0;
		return 0;
	case O_ID:
		if (*arg == '\0') {
			kx_msg("--id needs a column name or number");
			return KX_EXIT_USAGE;
		}
		p->ro.id = arg;
		return 0;
	case 'b':
		p->batch_set = 1;
		return kx_cli_size("--batch-size", arg, 1, (size_t)1 << 30, &p->batch);
	case O_MAXBATCH:
		return kx_cli_size("--max-batch", arg, 1, (size_t)1 << 30, &p->lim.max_batch);
	case 'p':
		return kx_cli_size("--precision", arg, 1, 9, &p->prec);
	case O_NOOUTHDR:
		p->header_out = HO_NEVER;
		return 0;
	case O_HEADEROUT:
		if (strcmp(arg, "first") == 0)
			p->header_out = HO_FIRST;
		else if (strcmp(arg, "always") == 0)
			p->header_out = HO_ALWAYS;
		else if (strcmp(arg, "never") == 0)
			p->header_out = HO_NEVER;
		else
			return bad_choice("--header-out", arg, "first, always, never");
		return 0;
	case O_SHARD: {
		struct kx_err err;
		kx_err_clear(&err);
		if (kx_shard_parse(arg, getenv, &p->shard, &err) != 0) {
			kx_err_print(&err);
			return KX_EXIT_USAGE;
		}
		if (p->shard.warn[0])
			kx_warn("%s", p->shard.warn);
		p->ro.shard = &p->shard;
		return 0;
	}
	case 'd':
	case O_QUOTE: {
		int ch = kx_in_parse_char(arg);
		if (ch < 0) {
			kx_msg("invalid value '%s' for %s: expected one character (or \\t for a tab), not a "
			       "newline", arg, val == 'd' ? "--delimiter" : "--quote");
			return KX_EXIT_USAGE;
		}
		*(val == 'd' ? &p->ro.delim : &p->ro.quote) = ch;
		return 0;
	}
	case O_NOQUOTE:
		p->ro.no_quote = 1;
		return 0;
	case O_COLUMNS:
		p->ro.columns = arg;
		return 0;
	case O_KEEP:
		p->keep = arg;
		return 0;
	case O_KEEPALL:
		p->ro.keep_all = 1;
		return 0;
	case O_ROWNO:
		p->row_number = 1;
		return 0;
	case O_OUTNAMES:
		p->out_names = arg;
		return 0;
	case O_ONERROR:
		if (strcmp(arg, "stop") == 0)
			p->skip = 0;
		else if (strcmp(arg, "skip") == 0)
			p->skip = 1;
		else
			return bad_choice("--on-error", arg, "stop, skip");
		return 0;
	case O_REJECTS:
		p->rejects_path = arg;
		p->skip = 1;
		return 0;
	case 'o':
		p->out_path = strcmp(arg, "-") == 0 ? NULL : arg;
		return 0;
	case O_MAXERR:
		p->max_errors_set = 1;
		p->skip = 1;
		return kx_cli_size("--max-errors", arg, 0, SIZE_MAX, &p->max_errors);
	case O_MAXRATE: {
		char *end;
		errno = 0;
		p->max_rate = strtod(arg, &end);
		if (*arg == '\0' || *end != '\0' || errno != 0 || !(p->max_rate >= 0.0 && p->max_rate <= 1.0)) {
			kx_msg("invalid value '%s' for --max-error-rate: expected a number from 0 to 1", arg);
			return KX_EXIT_USAGE;
		}
		p->max_rate_set = 1;
		p->skip = 1;
		return 0;
	}
	case O_STRICT:
		p->ro.strict_range = 1;
		return 0;
	case O_PROGRESS:
	case O_NOPROGRESS:
		p->progress = val == O_PROGRESS;
		return 0;
	case O_STATS:
		p->stats = 1;
		return 0;
	case 't':
		p->threads_set = 1;
		return kx_cli_size("--threads", arg, 1, 1024, &p->threads);
	}
	return KX_EXIT_USAGE;
}

/* The output stopped short: the status for it (a stop, or a failed
 * write, reported at the end: main.c for standard output). */
static int
out_failed(const struct predict *p)
{
	return p->sink->stopped ? 128 + p->sink->stopped : KX_EXIT_IO;
}

/* Write the records of a scored batch (ms: its forward pass, for API
 * output) and flush them, so output streams whatever stdout is: about a
 * thousand writes per million rows. Counts the rows and the batch, and
 * the time for --stats. Returns 0, or out_failed's status. */
static int
write_batch(struct predict *p, const struct kx_batch *b, double ms)
{
	double t0 = kx_clock_ms();
	int rc = 0;

	p->rows_out += b->n;
	p->batches++;
	if (kx_out_batch(p->out, b, ms) != 0 || kx_out_flush(p->out) != 0)
		rc = out_failed(p);
	p->ms_out += kx_clock_ms() - t0;
	return rc;
}

/* Rows [from, from + n) of b through the model with work area w: a
 * float64 model's in double where its batch keeps them so. */
static int
forward(const struct kx_model *m, struct kx_work *w, const struct kx_batch *b, size_t from, size_t n)
{
	if (b->x64 || b->y64)
		return kx_model_forward64(m, w, b->x + from * b->in, b->x64 ? b->x64 + from * b->in : NULL,
		                          n, b->y + from * b->out, b->y64 ? b->y64 + from * b->out : NULL);
	return kx_model_forward(m, w, b->x + from * b->in, n, b->y + from * b->out);
}

/* Score the batch, write it, and empty it. */
static int
score_batch(struct predict *p, struct kx_batch *b)
{
	size_t i, n;
	double t0, ms;
	int rc;

	if (b->n_recs == 0) {
		kx_batch_reset(b);
		return 0;
	}
	t0 = kx_clock_ms();
	for (i = 0; i < b->n; i += n) {
		n = b->n - i < p->batch ? b->n - i : p->batch;
		if (forward(p->model, p->work, b, i, n) != 0) {
			kx_msg("%s: forward pass failed", p->model->path);
			return KX_EXIT_INTERNAL;
		}
	}
	ms = kx_clock_ms() - t0;
	p->ms_fwd += ms;
	if ((rc = write_batch(p, b, ms)) != 0)
		return rc;
	kx_batch_reset(b);
	return 0;
}

/* A model of several outputs: its columns named after the output layers
 * (kx_model_column_names); one output keeps y0, y1, ... */
static int
model_names(struct predict *p)
{
	char **v = NULL;
	int rc = 0;

	if (kx_model_column_names(p->model, &v) != 0 ||
	    (v && kx_out_set_names(p->out, (const char *const *)v) != 0)) {
		kx_msg("out of memory");
		rc = KX_EXIT_INTERNAL;
	}
	kx_names_free(v, p->model->out);
	return rc;
}

/* --output-names a,b: one name per output of the model. */
static int
set_out_names(struct predict *p)
{
	const char *s = p->out_names, *q;
	char **v = calloc(p->model->out ? p->model->out : 1, sizeof *v);
	size_t n = 0, i;
	int rc = 0;

	if (!v) {
		kx_msg("out of memory");
		return KX_EXIT_INTERNAL;
	}
	for (;; s = q + 1) {
		q = strchr(s, ',');
		q = q ? q : s + strlen(s);
		if (n < p->model->out && !(v[n] = strndup(s, (size_t)(q - s)))) {
			rc = KX_EXIT_INTERNAL;
			kx_msg("out of memory");
			goto done;
		}
		n++;
		if (!*q)
			break;
	}
	if (n != p->model->out) {
		kx_msg("--output-names gives %zu name%s; the model has %zu output%s", n, n == 1 ? "" : "s",
		       p->model->out, p->model->out == 1 ? "" : "s");
		rc = KX_EXIT_USAGE;
		goto done;
	}
	if (kx_out_set_names(p->out, (const char *const *)v) != 0) {
		kx_msg("out of memory");
		rc = KX_EXIT_INTERNAL;
	}
done:
	for (i = 0; i < p->model->out && i < n; i++)
		free(v[i]);
	free(v);
	return rc;
}

/* The first fill of the first input has read any CSV header: name the id
 * column of CSV/TSV output. */
static int
name_id(struct predict *p, const struct kx_rows *r)
{
	const char *name = kx_rows_id_name(r);
	const char *const *kept;
	size_t idx, n;

	p->id_named = 1;
	if ((kept = kx_rows_kept(r, &n)) != NULL) {
		/* --keep, --columns: the kept columns, in every output format */
		if (kx_out_set_keep(p->out, kept, n, p->ro.id != NULL) != 0) {
			kx_msg("out of memory");
			return KX_EXIT_INTERNAL;
		}
		return 0;
	}
	if (!p->ro.id || (p->ofmt != KX_OUT_CSV && p->ofmt != KX_OUT_TSV))
		return 0;
	if (!name)
		name = kx_parse_size(p->ro.id, 1, SIZE_MAX, &idx) == 0 ? "id" : p->ro.id;
	if (kx_out_set_id(p->out, name) != 0) {
		kx_msg("out of memory");
		return KX_EXIT_INTERNAL;
	}
	return 0;
}

/* A record was refused and --on-error skip is on: report it, copy it. */
static int
reject(struct predict *p, struct kx_rows *r, const struct kx_err *e)
{
	const char *text;
	size_t len;

	kx_err_print(e);
	p->rejected++;
	if (p->rejects_fd >= 0 && !p->rej_header) {
		/* the input's header line first, so that the file reads as
		 * the input does */
		p->rej_header = 1;
		text = kx_rows_header(r, &len);
		if (text && (kx_sink_put(&p->rsink, text, len) != 0 || kx_sink_put(&p->rsink, "\n", 1) != 0))
			return p->rsink.stopped ? 128 + p->rsink.stopped : kx_cli_sink_error(&p->rsink);
	}
	text = kx_rows_reject(r, &len);
	/* written at once, so that the file holds every record refused so
	 * far whenever the run ends */
	if (p->rejects_fd >= 0 && len > 0 &&
	    (kx_sink_put(&p->rsink, text, len) != 0 || kx_sink_put(&p->rsink, "\n", 1) != 0 ||
	     kx_sink_flush(&p->rsink) != 0))
		return p->rsink.stopped ? 128 + p->rsink.stopped : kx_cli_sink_error(&p->rsink);
	return 0;
}

/* Piped mode. All of these but the workers' main loop run with p->mu held
 * unless they say otherwise. */

static struct slot *
slot_at(struct predict *p, size_t i)
{
	return &p->slots[i % SLOTS];
}

/* Hand out the next chunk of rows to score: from the oldest batch with
 * rows left. Returns the slot, or NULL when there is nothing to do. */
static struct slot *
take_chunk(struct predict *p, size_t *from, size_t *n)
{
	struct slot *s;
	size_t i;

	for (i = p->head; i < p->tail; i++) {
		s = slot_at(p, i);
		if (s->next < s->b.n) {
			*from = s->next;
			*n = s->b.n - s->next < p->chunk ? s->b.n - s->next : p->chunk;
			if (s->next == 0)
				s->t0 = kx_clock_ms();
			s->next += *n;
			return s;
		}
	}
	return NULL;
}

/* Write out, in order, the batches at the head that are fully scored.
 * Only one thread writes at a time; the lock is dropped while it does. */
static void
write_ready(struct predict *p)
{
	struct slot *s;
	int rc, drop;

	if (p->writing)
		return;
	p->writing = 1;
	while (p->head < p->tail) {
		s = slot_at(p, p->head);
		if (s->done < s->b.n)
			break;
		/* after a failure, batches still handed over are dropped */
		drop = p->score_rc != 0;
		pthread_mutex_unlock(&p->mu);
		rc = !drop && s->b.n_recs > 0 ? write_batch(p, &s->b, s->ms) : 0;
		pthread_mutex_lock(&p->mu);
		/* under the lock: take_chunk reads the size of every batch in flight */
		kx_batch_reset(&s->b);
		if (rc && !p->score_rc)
			p->score_rc = rc;
		p->head++;
		pthread_cond_broadcast(&p->cv);
	}
	p->writing = 0;
}

/* Score one chunk with work area w; the lock is dropped meanwhile. */
static void
run_chunk(struct predict *p, struct kx_work *w, struct slot *s, size_t from, size_t n)
{
	const struct kx_batch *b = &s->b;
	double t0, t1;
	int rc;

	pthread_mutex_unlock(&p->mu);
	t0 = kx_clock_ms();
	rc = forward(p->model, w, b, from, n);
	t1 = kx_clock_ms();
	pthread_mutex_lock(&p->mu);
	p->ms_fwd += t1 - t0;
	if (rc != 0 && !p->score_rc) {
		kx_msg("%s: forward pass failed", p->model->path);
		p->score_rc = KX_EXIT_INTERNAL;
	}
	s->done += n;
	if (s->done == b->n) {
		s->ms = t1 - s->t0;
		write_ready(p);
	}
}

/* Wait on the condition variable, or better, score a chunk meanwhile
 * with work area w. */
static void
help_or_wait(struct predict *p, struct kx_work *w, double *idle)
{
	struct slot *s;
	size_t from, n;
	double t0;

	if ((s = take_chunk(p, &from, &n)) != NULL) {
		run_chunk(p, w, s, from, n);
		return;
	}
	t0 = kx_clock_ms();
	pthread_cond_wait(&p->cv, &p->mu);
	*idle += kx_clock_ms() - t0;
}

static void *
worker_main(void *arg)
{
	struct worker_arg *a = arg;
	struct predict *p = a->p;

	pthread_mutex_lock(&p->mu);
	while (!p->quit)
		help_or_wait(p, p->works[a->id], &p->ms_swait);
	pthread_mutex_unlock(&p->mu);
	return NULL;
}

/* Wait until every batch handed over is written, scoring chunks
 * meanwhile; returns the first error of scoring or writing, or 0. */
static int
drain(struct predict *p)
{
	int rc;

	if (!p->piped)
		return 0;
	pthread_mutex_lock(&p->mu);
	while (p->head < p->tail)
		help_or_wait(p, p->works[0], &p->ms_rwait);
	rc = p->score_rc;
	pthread_mutex_unlock(&p->mu);
	return rc;
}

/* Score and write the batch being read into: unpiped, here and now;
 * piped, hand it over and move on to a free slot (scoring chunks while
 * there is none). */
static int
submit(struct predict *p)
{
	struct kx_batch *b = p->fill;
	int rc;

	p->rows_read += b->n;
	if (!p->piped)
		return score_batch(p, b);
	if (b->n_recs == 0)
		return drain(p);
	pthread_mutex_lock(&p->mu);
	rc = p->score_rc;
	if (rc == 0) {
		slot_at(p, p->tail)->next = 0;
		slot_at(p, p->tail)->done = 0;
		p->tail++;
		pthread_cond_broadcast(&p->cv);
		write_ready(p);   /* a batch of records without rows is done already */
		while (p->tail - p->head >= SLOTS && !p->score_rc)
			help_or_wait(p, p->works[0], &p->ms_rwait);
		rc = p->score_rc;
		p->fill = &slot_at(p, p->tail)->b;
	}
	pthread_mutex_unlock(&p->mu);
	return rc;
}

/* Start the workers; 0 when none could be started (then run unpiped). */
static int
start_workers(struct predict *p)
{
	size_t t, n = p->threads > KX_MAX_THREADS ? KX_MAX_THREADS : p->threads;

	if (pthread_mutex_init(&p->mu, NULL) != 0)
		return 0;
	if (pthread_cond_init(&p->cv, NULL) != 0) {
		pthread_mutex_destroy(&p->mu);
		return 0;
	}
	for (t = 1; t < n; t++) {
		p->args[t] = (struct worker_arg){ p, t };
		if (pthread_create(&p->tid[t], NULL, worker_main, &p->args[t]) != 0)
			break;
		p->n_workers++;
	}
	if (p->n_workers == 0) {
		pthread_cond_destroy(&p->cv);
		pthread_mutex_destroy(&p->mu);
		return 0;
	}
	p->piped = 1;
	return 1;
}

/* Drain, stop and join the workers; returns the first error of scoring
 * or writing. */
static int
stop_workers(struct predict *p)
{
	size_t t;
	int rc = drain(p);

	pthread_mutex_lock(&p->mu);
	p->quit = 1;
	pthread_cond_broadcast(&p->cv);
	pthread_mutex_unlock(&p->mu);
	for (t = 1; t <= p->n_workers; t++)
		pthread_join(p->tid[t], NULL);
	pthread_cond_destroy(&p->cv);
	pthread_mutex_destroy(&p->mu);
	p->piped = 0;
	return rc;
}

/* The read -> forward -> write loop over one input. */
static int
run_input(struct predict *p, struct kx_rows *r)
{
	struct kx_err err;
	double t0;
	int st, rc;

	for (;;) {
		kx_err_clear(&err);
		t0 = kx_clock_ms();
		st = kx_rows_fill(r, p->fill, &err);
		p->ms_read += kx_clock_ms() - t0;
		if (!p->id_named && (rc = name_id(p, r)) != 0)
			return rc;
		if (p->progress == 1) {
			unsigned long long done, total;
			kx_rows_progress(r, &done, &total);
			kx_progress_show(&p->prog, p->rows_read, done, total, st != KX_FILL_READY);
		}
		switch (st) {
		case KX_FILL_READY:
			if ((rc = submit(p)) != 0)
				return rc;
			break;
		case KX_FILL_EOF:
			if ((rc = submit(p)) != 0)
				return rc;
			return drain(p);
		case KX_FILL_STOP:
			/* a stop: what was read is dropped; the output ends
			 * with the last record written whole */
			return 128 + kx_stop_signal();
		case KX_FILL_REJECT:
			if (p->skip) {
				if ((rc = reject(p, r, &err)) != 0)
					return rc;
				break;
			}
			/* the rows before it are written first */
			/* fall through */
		default:
			if ((rc = submit(p)) != 0 || (rc = drain(p)) != 0)
				return rc;
			switch (kx_rows_misplaced(r)) {
			case KX_MISPLACED_MODEL:
			case KX_MISPLACED_WEIGHTS:
				kx_err_add(&err, 0, "the model is given with -m MODEL");
				break;
			case KX_MISPLACED_CONFIG:
				kx_err_add(&err, 0, "a config is checked by 'kanx validate --config'");
				break;
			}
			kx_err_print(&err);
			return err.code ? err.code : KX_EXIT_INTERNAL;
		}
	}
}

static int
run_all(struct predict *p, char **inputs, int n_inputs)
{
	static char *const dash[] = { "-" };
	struct kx_rows *r;
	struct kx_err err;
	int i, rc = 0;

	if (n_inputs == 0) {
		inputs = (char **)dash;
		n_inputs = 1;
	}
	for (i = 0; i < n_inputs && rc == 0; i++) {
		kx_err_clear(&err);
		r = kx_rows_open(inputs[i], &p->ro, &err);
		if (!r) {
			kx_err_print(&err);
			return err.code;
		}
		rc = run_input(p, r);
		if (p->ro.shard)
			p->have_range = kx_rows_shard_range(r, &p->range, &p->range_end_line) == 0;
		if (kx_rows_unlinked(r))
			kx_warn("%s was removed while it was being read (an open file is still read whole)", inputs[i]);
		p->oor += kx_rows_out_of_range(r);
		p->accepted += kx_rows_accepted(r);
		kx_rows_close(r);
	}
	return rc;
}

static int
setup(struct predict *p, int argc, char **argv, int *first)
{
	const char *msg = NULL, *v;
	size_t idx;
	int rc;

	memset(p, 0, sizeof *p);
	p->rejects_fd = -1;
	p->progress = -1;
	p->ro.header = -1;
	{
		long nc = sysconf(_SC_NPROCESSORS_ONLN);
		p->threads = nc >= 1 ? (size_t)(nc > KX_MAX_THREADS ? KX_MAX_THREADS : nc) : 1;
	}
	if (kx_limits_init(&p->lim, &msg) != 0) {
		kx_msg("%s", msg);
		return KX_EXIT_USAGE;
	}
	v = getenv("KANX_THREADS");
	if (v && *v) {
		if (kx_parse_size(v, 1, 1024, &p->threads) != 0) {
			kx_msg("KANX_THREADS must be an integer from 1 to 1024");
			return KX_EXIT_USAGE;
		}
	}
	*first = kx_cli_parse(&kx_cmd_predict, argc, argv, opt_cb, p, &rc);
	if (*first < 0)
		return rc == KX_EXIT_OK ? -1 : rc;  /* -1: --help was printed */
	if (p->list_formats) {
		kx_in_fmt_print(stdout);
		return -1;
	}
	p->ro.keep = p->keep;
	if (p->row_number) {
		size_t n = p->keep ? strlen(p->keep) + 3 : 2;
		if (!(p->keep_buf = malloc(n))) {
			kx_msg("out of memory");
			return KX_EXIT_INTERNAL;
		}
		snprintf(p->keep_buf, n, "#%s%s", p->keep ? "," : "", p->keep ? p->keep : "");
		p->ro.keep = p->keep_buf;
	}
	p->progress_tty = isatty(STDERR_FILENO);
	if (p->progress < 0)
		p->progress = p->progress_tty;
	if (!p->model_path) {
		v = getenv("KANX_CHECKPOINT");
		if (v && *v)
			p->model_path = v;
	}
	if (!p->model_path) {
		int i;
		kx_msg("predict: no model: give -m MODEL or set KANX_CHECKPOINT");
		/* kanx predict model.keras in.csv: the -m forgotten */
		for (i = *first; i < argc; i++) {
			size_t n = strlen(argv[i]);
			if (n > 6 && strcmp(argv[i] + n - 6, ".keras") == 0) {
				kx_msg("did you mean '-m %s'?", argv[i]);
				return KX_EXIT_USAGE;
			}
		}
		fprintf(stderr, "Try 'kanx predict --help'.\n");
		return KX_EXIT_USAGE;
	}
	if (kx_path_is_stdin(p->model_path)) {
		int i, stdin_input = *first == argc;
		for (i = *first; i < argc; i++)
			stdin_input |= kx_path_is_stdin(argv[i]);
		if (stdin_input) {
			kx_msg("predict: the model (-m -) and the input cannot both be %s", KX_STDIN_NAME);
			return KX_EXIT_USAGE;
		}
	}
	if (!p->batch_set)
		p->batch = p->lim.max_batch < 1024 ? p->lim.max_batch : 1024;
	if (p->batch > p->lim.max_batch) {
		kx_msg("predict: --batch-size %zu is over the max batch of %zu", p->batch, p->lim.max_batch);
		return KX_EXIT_USAGE;
	}
	if (p->ro.shard && argc - *first > 1) {
		kx_msg("predict: --shard takes one input file (%d given): the shards of several "
		       "inputs would not concatenate into one run's output", argc - *first);
		return KX_EXIT_USAGE;
	}
	if (p->ro.shard && p->ofmt == KX_OUT_API) {
		kx_msg("predict: --shard and -f api: an API response groups rows and carries their timing, "
		       "which the shards' outputs cannot put back together; use -f jsonl, csv or tsv");
		return KX_EXIT_USAGE;
	}
	if (p->ro.id && p->ro.header == 0 && kx_parse_size(p->ro.id, 1, SIZE_MAX, &idx) != 0) {
		kx_msg("predict: --id %s names a column, but --no-header says there is no header row", p->ro.id);
		return KX_EXIT_USAGE;
	}
	return 0;
}

/* The error budget of --on-error skip: refused records beyond
 * --max-errors N or the share --max-error-rate R of all records (by
 * default: any) make the run fail with the bad-input status, once every
 * good record is written. Prints the summary line. */
static void
budget(struct predict *p, int *rc)
{
	size_t total = p->rejected + p->accepted;
	char what[96];
	int n = 0, over;

	over = p->max_errors_set ? p->rejected > p->max_errors : 0;
	if (p->max_rate_set && (double)p->rejected > p->max_rate * (double)total)
		over = 1;
	if (!p->max_errors_set && !p->max_rate_set)
		over = p->rejected > 0;
	what[0] = '\0';
	if (p->max_errors_set)
		n = snprintf(what, sizeof what, "--max-errors %zu", p->max_errors);
	if (p->max_rate_set)
		snprintf(what + n, sizeof what - (size_t)n, "%s--max-error-rate %g", n ? ", " : "", p->max_rate);
	if (!p->max_errors_set && !p->max_rate_set)
		snprintf(what, sizeof what, "none allowed by default: see --max-errors");
	if (over) {
		kx_msg("predict: %zu of %zu records refused: over the error budget (%s)",
		       p->rejected, total, what);
		if (*rc == KX_EXIT_OK)
			*rc = KX_EXIT_BADINPUT;
	} else {
		kx_warn("%zu of %zu records refused (within the error budget: %s)", p->rejected, total, what);
	}
}

/* The end of the output: with -o, put the file in place when the run
 * succeeded, else remove it; say what the output holds when it stopped
 * short (main.c and kx_cli_write_error add it to their messages). */
static int
settle_output(struct predict *p, int rc)
{
	struct kx_err err;
	int failed = kx_sink_done(p->sink);

	if (p->ofile_open) {
		if (rc == KX_EXIT_OK && !failed && !kx_stop_signal()) {
			kx_err_clear(&err);
			p->ofile_open = 0;
			if (kx_ofile_commit(&p->ofile, &err) != 0) {
				kx_err_print(&err);
				return KX_EXIT_IO;
			}
			return rc;
		}
		kx_cli_note("%s %s", p->out_path, !p->ofile.tmp ? "holds what was written before" :
		            p->ofile.existed ? "is left as it was" : "was not created");
		if (p->osink.err)
			rc = kx_cli_sink_error(&p->osink);
		p->ofile_open = 0;
		kx_ofile_abort(&p->ofile);
		return rc;
	}
	if (failed || rc >= 128)
		kx_cli_note("the output holds the first %zu rows", kx_out_rows_written(p->out));
	return rc;
}

static int
exec_predict(int argc, char **argv)
{
	struct predict p;
	struct kx_err err;
	size_t i, n_slots = 0, n_works = 0;
	int first, rc, piped = 0;

	if ((rc = setup(&p, argc, argv, &first)) != 0)
		return rc == -1 ? KX_EXIT_OK : rc;

	kx_err_clear(&err);
	p.model = kx_model_load(p.model_path, &p.lim, &err);
	if (!p.model) {
		kx_err_print(&err);
		return err.code ? err.code : KX_EXIT_BADMODEL;
	}
	{
		char note[600];
		if (kx_dtype_note(p.model, note, sizeof note))
			fprintf(stderr, "kanx: warning: %s\n", note);
	}
	p.ro.in = p.model->in;
	p.ro.lim = &p.lim;
	if (p.model->n_layers > 0 && kx_layer_as_kan(&p.model->layers[0])) {
		p.ro.range = 1;
		p.ro.lo = p.model->layers[0].kn.lo;
		p.ro.hi = p.model->layers[0].kn.hi;
	}
	rc = KX_EXIT_INTERNAL;
	/* Piped, every thread scores whole chunks with a work area of its own
	 * (the forward pass itself is single-threaded). Nobody waits
	 * for the end of a batch (a thread that is done takes a chunk of the
	 * next), so chunks can be large, which spreads the per-call costs of
	 * the forward pass (with the BLIS kernel, packing the weights) over
	 * more rows: a quarter of a batch on 2 threads, while there are still
	 * a few chunks in flight for every thread. */
	n_slots = p.threads > 1 ? SLOTS : 1;
	n_works = p.threads > 1 ? (p.threads > KX_MAX_THREADS ? KX_MAX_THREADS : p.threads) : 0;
	p.chunk = (p.batch + 2 * n_works - 1) / (2 * (n_works ? n_works : 1));
	if (p.chunk < MIN_CHUNK)
		p.chunk = p.batch < MIN_CHUNK ? p.batch : MIN_CHUNK;
	if (kx_model_in64(p.model) || kx_model_out64(p.model, NULL)) {
		if (!(p.cols64 = calloc(p.model->out ? p.model->out : 1, 1))) {
			kx_msg("out of memory");
			goto done;
		}
		kx_model_out64(p.model, p.cols64);
	}
	for (i = 0; i < n_slots; i++)
		if (kx_batch_init(&p.slots[i].b, p.model->in, p.model->out, p.batch, p.lim.max_batch, &err) != 0 ||
		    (p.cols64 && kx_batch_double(&p.slots[i].b, kx_model_in64(p.model),
		                                 kx_model_out64(p.model, NULL) ? p.cols64 : NULL, &err) != 0)) {
			kx_err_print(&err);
			goto done;
		}
	p.fill = &p.slots[0].b;
	p.work = kx_work_new(p.model, p.batch);
	for (i = 0; i < n_works; i++)
		if (!(p.works[i] = kx_work_new(p.model, p.chunk))) {
			kx_msg("out of memory");
			goto done;
		}
	if (p.out_path) {
		if (kx_ofile_open(&p.ofile, p.out_path, &err) != 0) {
			kx_err_print(&err);
			rc = err.code;
			goto done;
		}
		p.ofile_open = 1;
		kx_sink_init(&p.osink, p.ofile.fd, p.out_path);
		p.sink = &p.osink;
	} else {
		p.sink = kx_sink_stdout();
	}
	/* the header: by the first shard (or a run without --shard) alone,
	 * unless --header-out says always or never */
	p.out = kx_out_new(p.sink, p.ofmt, p.model->out, (int)p.prec,
	                   p.header_out == HO_ALWAYS || (p.header_out == HO_FIRST && p.shard.k <= 1),
	                   p.lim.max_batch);
	if (!p.work || !p.out) {
		kx_msg("out of memory");
		goto done;
	}
	if (p.out_names ? (rc = set_out_names(&p)) != 0 : (rc = model_names(&p)) != 0)
		goto done;
	if (p.rejects_path) {
		p.rejects_fd = open(p.rejects_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
		if (p.rejects_fd < 0) {
			kx_msg("%s: cannot open: %s", p.rejects_path, strerror(errno));
			rc = KX_EXIT_IO;
			goto done;
		}
		kx_sink_init(&p.rsink, p.rejects_fd, p.rejects_path);
	}

	/* with more than one thread, reading overlaps scoring and writing */
	if (n_works > 1 && start_workers(&p))
		piped = 1;
	p.t_start = kx_clock_ms();
	kx_progress_start(&p.prog, p.progress_tty, p.t_start);
	rc = run_all(&p, argv + first, argc - first);
	if (p.piped) {
		int src = stop_workers(&p);
		if (rc == 0)
			rc = src;
	}

	/* the CSV header even when there were no rows (not after a usage
	 * error: nothing was read); the last API response; whatever is
	 * buffered */
	if (rc < 128 && rc != KX_EXIT_IO && rc != KX_EXIT_INTERNAL && rc != KX_EXIT_USAGE &&
	    kx_out_finish(p.out) != 0)
		rc = out_failed(&p);
	if (p.rejects_fd >= 0 && kx_sink_flush(&p.rsink) != 0 && rc < 128) {
		if (p.rsink.stopped)
			rc = 128 + p.rsink.stopped;
		else if (rc == 0 || rc == KX_EXIT_BADINPUT || rc == KX_EXIT_TOOBIG)
			rc = kx_cli_sink_error(&p.rsink);
	}
	if (p.progress == 1)
		kx_progress_end(&p.prog, p.rows_read);
	if (p.stats) {
		double secs = (kx_clock_ms() - p.t_start) / 1000.0;
		kx_msg("stats: %zu records read, %zu refused, %zu rows scored in %zu batches, "
		       "%.3f s wall time, %.0f rows/s", p.accepted + p.rejected, p.rejected, p.rows_out,
		       p.batches, secs, secs > 0 ? (double)p.rows_out / secs : 0.0);
		/* where the time went: each stage's time summed over the
		 * threads that ran it, so with 2+ threads the forward pass can
		 * pass the wall time (and the stages overlap); the idle times
		 * say which side held the other up */
		kx_msg("stats: thread-seconds per stage (summed over threads, as CPU seconds are): "
		       "reading and parsing %.3f, forward pass %.3f on %zu thread%s, formatting and writing %.3f",
		       p.ms_read / 1e3, p.ms_fwd / 1e3, piped ? p.n_workers + 1 : (size_t)1,
		       piped ? "s" : "", p.ms_out / 1e3);
		/* which kernel made the numbers: avx2 and portable make the same
		 * bits on any CPU, blis its own */
		kx_msg("stats: kernel %s%s", kx_kernel_name((enum kx_kernel)p.model->kernel),
		       kx_kernel_is_panel((enum kx_kernel)p.model->kernel) ?
		       " (the same bits as avx2 and portable on any CPU)" :
		       " (not the bits of the avx2 and portable kernels)");
		if (p.ro.shard && p.have_range)
			kx_msg("stats: shard %lu/%lu (%s): bytes %llu-%llu of %llu (data from byte %llu), "
			       "lines %llu-%llu", p.shard.k, p.shard.n, p.shard.from,
			       (unsigned long long)p.range.lo, (unsigned long long)p.range.hi,
			       (unsigned long long)p.range.size, (unsigned long long)p.range.data,
			       (unsigned long long)p.range.line, p.range_end_line > p.range.line ?
			       p.range_end_line - 1 : (unsigned long long)p.range.line);
		else if (p.ro.shard)
			kx_msg("stats: shard %lu/%lu (%s): no data records in the input",
			       p.shard.k, p.shard.n, p.shard.from);
		if (piped)
			kx_msg("stats: reading thread idle %.3f s (no free batch and no rows to score), "
			       "scoring threads idle %.3f s (no rows to score)",
			       p.ms_rwait / 1e3, p.ms_swait / 1e3);
	}
	if (rc != KX_EXIT_IO && rc < 128) {
		if (p.oor > 0) {
			char lo[KX_FLOAT_BUF], hi[KX_FLOAT_BUF];
			kx_format_float(p.ro.lo, lo);
			kx_format_float(p.ro.hi, hi);
			kx_warn("%zu value%s outside the grid range [%s, %s] of layer 0",
			        p.oor, p.oor == 1 ? "" : "s", lo, hi);
		}
		if (p.rejected > 0)
			budget(&p, &rc);
	}
	rc = settle_output(&p, rc);
done:
	if (p.rejects_fd >= 0)
		close(p.rejects_fd);
	kx_sink_fini(&p.rsink);
	if (p.ofile_open)
		kx_ofile_abort(&p.ofile);
	kx_sink_fini(&p.osink);
	kx_out_free(p.out);
	free(p.keep_buf);
	kx_work_free(p.work);
	free(p.cols64);
	for (i = 0; i < n_works; i++)
		kx_work_free(p.works[i]);
	for (i = 0; i < SLOTS; i++)
		kx_batch_fini(&p.slots[i].b);
	kx_model_free(p.model);
	return rc;
}

const struct kx_cmd kx_cmd_predict = {
	"predict",
	"score rows with a checkpoint: CSV, TSV, JSON lines or API requests in; CSV, TSV, JSON lines or API responses out",
	opts,
	"-m MODEL [OPTIONS] [INPUT ...]",
	exec_predict
};
