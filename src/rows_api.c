/* rows_api.c - the API request document input format (see rows.h,
 * reader.h): {"x": ..} documents, each written on one line or many,
 * framed by bracket matching outside strings, parsed by rows_json.c, and
 * scored as a batch of their own (one response each). */
#include <string.h>

#include "kanx.h"
#include "reader.h"

/* Frame one API document (a JSON value that may span lines) and the rest
 * of the line it ends on; a line that does not start a document ('{' or
 * '[') is framed alone, for the parser to refuse. */
int
rd_frame_doc(struct kx_rows *r, int have_rows, size_t *next, size_t *nlines)
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
			rd_fail_at(r, r->pos, KX_EXIT_BADINPUT,
			        "unexpected end of input in the JSON document that starts here");
			return FR_FATAL;
		}
		r->fscan = r->end - r->pos;
		if (r->fscan > lim) {
			r->rs = r->re = r->pos;
			r->rec_line = r->line;
			r->fail_status = 413;
			rd_fail_at(r, r->pos, KX_EXIT_BADINPUT,
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
		rd_fail_at(r, r->pos, KX_EXIT_BADINPUT,
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


/* '{': the fallback when it is not JSON lines (rows_jsonl.c). */
static int
api_sniff(struct kx_rows *r, size_t at)
{
	return at < r->end && r->buf[at] == '{' ? 1 : 0;
}

static int
api_record(struct kx_rows *r, struct kx_batch *b)
{
	if (r->learn)
		r->width_set = 0;  /* each document is a batch of its own */
	return rd_json_record(r, b);
}

const struct kx_in_format kx_in_api = {
	KX_IN_API, "api", "API request documents", ".json",
	"{\"x\": ...} request documents as the REST API takes them, on one line or many",
	0, 1, api_sniff, rd_json_open, rd_json_close, rd_frame_doc, NULL, api_record, NULL, NULL,
	NULL, NULL
};
