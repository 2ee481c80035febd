/* rows_jsonl.c - the JSON-lines input format (see rows.h, reader.h): one
 * JSON value per line, a bare array (one sample, or a 2-D batch) or an
 * object {"x": .., "id": ..}, parsed by rows_json.c. */
#include <stddef.h>

#include "kanx.h"
#include "numfmt.h"
#include "reader.h"

/* '[' is JSON lines; so is '{' when the first value ends on its line. */
static int
jsonl_sniff(struct kx_rows *r, size_t at)
{
	size_t pos = r->pos, line = r->line, next, lines;
	int rc;

	if (at >= r->end || (r->buf[at] != '[' && r->buf[at] != '{'))
		return 0;
	if (r->buf[at] == '[')
		return 2;
	rc = rd_frame_doc(r, 0, &next, &lines);
	r->pos = pos;
	r->line = line;
	if (rd_sniff_reset(r, rc) != 0)
		return -1;
	return rc == FR_OK && lines == 1 ? 2 : 0;
}

static int
jsonl_frame(struct kx_rows *r, int have_rows, size_t *next, size_t *nlines)
{
	return rd_frame_lines(r, have_rows, 0, next, nlines);
}

static const char *
jsonl_scan(const struct kx_rows *r, const char *s, const char *e, float *row)
{
	const char *p;

	if (s == e || *s != '[')
		return NULL;
	p = kx_scan_json_floats(s + 1, e, row, r->in);
	if (!p || p == e || *p != ']')
		return NULL;
	return p + 1;
}

/* Bare arrays of `in` numbers without blanks. */
static int
jsonl_fast(struct kx_rows *r, struct kx_batch *b)
{
	if (r->in == 0 || r->o.lim->max_batch < 1 || r->o.lim->json_depth < 1)
		return 0;
	return rd_lines_fast(r, b, KX_FORM_ARRAY, jsonl_scan);
}

const struct kx_in_format kx_in_jsonl = {
	KX_IN_JSONL, "jsonl", "JSON lines", ".jsonl .ndjson",
	"one JSON value per line: an array of numbers (or of rows), or {\"x\": ..., \"id\": ...}",
	1, 0, jsonl_sniff, rd_json_open, rd_json_close, jsonl_frame, NULL,
	rd_json_record, jsonl_fast, NULL, NULL, NULL
};
