/* output.h - predict's output writers: CSV, TSV, JSON lines, API response.
 *
 * Text is formatted into one large buffer and written through a sink
 * (sink.h) when it fills up and by kx_out_flush, in whole units: a unit
 * is one output record (a line; lines when a CSV id holds a newline), so
 * that a stop or a failed write leaves the output ending with a whole
 * record, and the writer knows how many rows that record ends after.
 * Per record of the input:
 *   csv/tsv  one line per sample: [id,]y0,y1,..  (header "[ID,]y0,y1,..")
 *   jsonl    one line per record: a bare 1-D array record -> [y..]; a bare
 *            2-D array -> [[y..],..]; an object record or a CSV row with an
 *            id -> {"id":..,"y":[..]} ("y":[[..],..] when x was 2-D); an
 *            object without "id" -> {"y":..}; a CSV row without id -> [y..]
 *   api      {"output":[[..],..],"shape":[n,m],"inference_ms":t}: one per
 *            API request document, and one per `group` rows of the other
 *            records taken together (the last one shorter), whatever
 *            batches they were scored in, so that the output depends on
 *            the input alone; t is the forward pass's time for those rows
 * Values print with kx_format_float (shortest round-trip) or with
 * kx_format_float_prec when a precision is set. Non-finite values print as
 * nan/inf/-inf in CSV and TSV, and as null in JSON (which has no NaN).
 * Ids: CSV quotes a text id when it holds the delimiter, a quote, CR or LF,
 * or leading/trailing space (TSV the same, with tab as the delimiter);
 * JSON writes a text id as a string and a JSON id as it was (compacted). */
#ifndef KX_OUTPUT_H
#define KX_OUTPUT_H

#include "batch.h"
#include "sink.h"

enum kx_out_fmt { KX_OUT_CSV, KX_OUT_TSV, KX_OUT_JSONL, KX_OUT_API };

struct kx_out;

/* A writer to sink s (not owned) for rows of width outputs. prec: 0 for
 * the shortest round-trip text, else 1..9 significant digits. header:
 * write the CSV/TSV header line. group: rows per API response for records
 * that are not API documents (the max batch). Returns NULL when memory
 * runs out. */
struct kx_out *kx_out_new(struct kx_sink *s, enum kx_out_fmt fmt, size_t width, int prec,
                          int header, size_t group);

/* CSV/TSV: put an id column first, headed NAME (copied). Call before the
 * first kx_out_begin. */
int kx_out_set_id(struct kx_out *o, const char *name);

/* Kept input columns (--keep), written first: n names (copied), the
 * CSV/TSV header's and the JSON keys ("id" for the first when id_first:
 * --id). The records' values come as KX_ID_FIELDS. Call before the
 * first kx_out_begin. Returns 0, or -1 when memory runs out. */
int kx_out_set_keep(struct kx_out *o, const char *const *names, size_t n, int id_first);

/* The output columns' names for the CSV/TSV header (width of them,
 * copied) instead of y0, y1, ... Returns 0, or -1 (out of memory). */
int kx_out_set_names(struct kx_out *o, const char *const *names);

/* Format the header, if any and not done yet. Returns 0, or -1 when the
 * sink has failed or stopped, or memory ran out. */
int kx_out_begin(struct kx_out *o);

/* Format the records of b (its y holds the outputs). ms: the forward
 * pass's time, for the API response. Returns 0, or -1 as above. */
int kx_out_batch(struct kx_out *o, const struct kx_batch *b, double ms);

/* Write out every whole unit formatted so far. Returns 0, or -1 when the
 * sink has failed or stopped (see its err and stopped), or memory ran
 * out (the sink's err is then ENOMEM). */
int kx_out_flush(struct kx_out *o);

/* The end of the output: the header if none was written, the last API
 * response, and a flush. Returns as kx_out_flush. */
int kx_out_finish(struct kx_out *o);

/* Rows whose output has been written whole so far. */
size_t kx_out_rows_written(const struct kx_out *o);

/* Free (does not flush or close the stream); accepts NULL. */
void kx_out_free(struct kx_out *o);

/* Name of a format and the reverse (-1 for an unknown name). */
const char *kx_out_fmt_name(enum kx_out_fmt f);
int kx_out_fmt_lookup(const char *s, enum kx_out_fmt *out);

#endif
