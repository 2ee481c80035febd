/* output.h - predict's output writers: CSV, TSV, JSON lines, API response.
 *
 * Text is formatted into one large buffer and handed to stdio with fwrite
 * when it fills up and by kx_out_flush. Per record of the input:
 *   csv/tsv  one line per sample: [id,]y0,y1,..  (header "[ID,]y0,y1,..")
 *   jsonl    one line per record: a bare 1-D array record -> [y..]; a bare
 *            2-D array -> [[y..],..]; an object record or a CSV row with an
 *            id -> {"id":..,"y":[..]} ("y":[[..],..] when x was 2-D); an
 *            object without "id" -> {"y":..}; a CSV row without id -> [y..]
 *   api      {"output":[[..],..],"shape":[n,m],"inference_ms":t} for each
 *            batch (an API request document is always a batch of its own)
 * Values print with kx_format_float (shortest round-trip) or with
 * kx_format_float_prec when a precision is set. Non-finite values print as
 * nan/inf/-inf in CSV and TSV, and as null in JSON (which has no NaN).
 * Ids: CSV quotes a text id when it holds the delimiter, a quote, CR or LF,
 * or leading/trailing space (TSV the same, with tab as the delimiter);
 * JSON writes a text id as a string and a JSON id as it was (compacted). */
#ifndef KX_OUTPUT_H
#define KX_OUTPUT_H

#include <stdio.h>
#include "rows.h"

enum kx_out_fmt { KX_OUT_CSV, KX_OUT_TSV, KX_OUT_JSONL, KX_OUT_API };

struct kx_out;

/* A writer to f (not owned) for rows of width outputs. prec: 0 for the
 * shortest round-trip text, else 1..9 significant digits. header: write
 * the CSV/TSV header line. Returns NULL when memory runs out. */
struct kx_out *kx_out_new(FILE *f, enum kx_out_fmt fmt, size_t width, int prec, int header);

/* CSV/TSV: put an id column first, headed NAME (copied). Call before the
 * first kx_out_begin. */
int kx_out_set_id(struct kx_out *o, const char *name);

/* Write the header, if any and not written yet. Returns 0, or -1 when
 * writing failed (errno set). */
int kx_out_begin(struct kx_out *o);

/* Write the records of b (its y holds the outputs). ms: the forward
 * pass's time, for the API response. Returns 0, or -1 on a write error. */
int kx_out_batch(struct kx_out *o, const struct kx_batch *b, double ms);

/* Hand everything buffered to stdio and fflush the stream. Returns 0, or
 * -1 with errno set when the write failed. */
int kx_out_flush(struct kx_out *o);

/* Bytes buffered but not yet handed to stdio. */
size_t kx_out_pending(const struct kx_out *o);

/* Free (does not flush or close the stream); accepts NULL. */
void kx_out_free(struct kx_out *o);

/* Name of a format and the reverse (-1 for an unknown name). */
const char *kx_out_fmt_name(enum kx_out_fmt f);
int kx_out_fmt_lookup(const char *s, enum kx_out_fmt *out);

#endif
