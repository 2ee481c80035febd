/* batch.h - a batch of input rows and the records they came from: what
 * the readers (rows.h) fill, the model scores, and the writers (output.h)
 * print.
 *
 * A record is one unit of input that gets one unit of output: a CSV row
 * (one sample), a JSON-lines line (an array: one sample or a 2-D batch;
 * an object {"x": .., "id": ..}), or one API request document {"x": ..}.
 * Its rows sit one after another in x; its id, if any, in ids. */
#ifndef KX_BATCH_H
#define KX_BATCH_H

#include <stddef.h>
#include "err.h"

/* What a record looked like, so the output can mirror it. */
enum kx_rec_form {
	KX_FORM_ROW,     /* CSV/TSV row: one sample */
	KX_FORM_ARRAY,   /* JSON-lines bare array: 1-D (one sample) or 2-D */
	KX_FORM_OBJECT,  /* JSON-lines object {"x": .., "id": ..} */
	KX_FORM_API      /* API request document {"x": ..} */
};

enum kx_id_kind {
	KX_ID_NONE,
	KX_ID_TEXT,      /* plain text: a CSV field, or a JSON string's contents */
	KX_ID_JSON,      /* compact JSON text of a non-string JSON value */
	KX_ID_FIELDS     /* kept CSV fields (--keep), NUL-separated */
};

struct kx_rec {
	size_t row, n;          /* rows [row, row+n) of the batch */
	size_t line;            /* input line the record starts on */
	size_t id_off, id_len;  /* id bytes in batch->ids */
	unsigned char form;     /* enum kx_rec_form */
	unsigned char rank;     /* 1 or 2: the rank of x (CSV rows: 1) */
	unsigned char id_kind;  /* enum kx_id_kind */
};

/* A batch of rows and the records they came from. All buffers are reused
 * from batch to batch; they only grow (up to max_cap rows). */
struct kx_batch {
	size_t in, out;         /* features per sample; outputs per sample */
	float *x;               /* (cap, in), row-major */
	float *y;               /* (cap, out), filled by the caller */
	/* A float64 model (kx_batch_double): its rows as the readers parse
	 * them, in double (x stays unused), and its outputs in double (y
	 * unused; y64_cols[j] says whether column j is a float64 output,
	 * printed as a double, or a float32 one, holding a float value) */
	double *x64;            /* (cap, in), or NULL */
	double *y64;            /* (cap, out), or NULL */
	unsigned char *y64_cols;  /* (out), or NULL */
	size_t n, cap;          /* rows used, rows allocated */
	size_t target;          /* the batch is ready at this many rows */
	size_t max_cap;         /* target - 1 + max_batch: no record exceeds it */
	struct kx_rec *recs;
	size_t n_recs, cap_recs;
	char *ids;              /* id bytes of this batch's records */
	size_t ids_len, ids_cap;
};

/* Allocate a batch for rows of `in` features and `out` outputs, ready at
 * `target` rows; a single record may hold up to max_batch rows. Returns 0,
 * or -1 with e set (KX_EXIT_INTERNAL) when memory runs out or a size
 * overflows. Release with kx_batch_fini (safe on a zeroed or failed batch). */
int kx_batch_init(struct kx_batch *b, size_t in, size_t out, size_t target,
                  size_t max_batch, struct kx_err *e);
/* A float64 model's batch: x64 (in64, the model's input dtype is
 * float64) and y64 (cols: out flags, nonzero for a float64 output
 * column; NULL: none is, and y64 is not kept). 0, or -1 with e set. */
int kx_batch_double(struct kx_batch *b, int in64, const unsigned char *cols, struct kx_err *e);
/* Empty the batch, keeping its buffers. */
void kx_batch_reset(struct kx_batch *b);
void kx_batch_fini(struct kx_batch *b);

/* For the readers. Each returns 0, or -1 when memory runs out or a size
 * overflows (the batch is unchanged then). */

/* Make room for rows [0, need) in x and y; need may not pass max_cap. */
int kx_batch_rows(struct kx_batch *b, size_t need);
/* Make room for `more` id bytes after ids_len (ids is then never NULL). */
int kx_batch_ids(struct kx_batch *b, size_t more);
/* Change the width of x to `in` features; the batch must be empty. */
int kx_batch_width(struct kx_batch *b, size_t in);
/* A new record slot at the end of recs (n_recs counts it), or NULL. */
struct kx_rec *kx_batch_rec(struct kx_batch *b);

#endif
