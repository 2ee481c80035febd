/* tests/unit_rows.c - unit tests: predict's readers: files, formats,
 * framing (rows.c and its formats). */
#include <stdlib.h>
#include <string.h>

#include <unistd.h>

#include "kxlimits.h"
#include "rows.h"
#include "unit.h"

/* Write TEXT to DIR/NAME and return the path (static buffer). */
static const char *
put_file(const char *dir, const char *name, const char *text, size_t len)
{
	static char path[512];
	FILE *f;

	snprintf(path, sizeof path, "%s/%s", dir, name);
	f = fopen(path, "wb");
	if (f) {
		fwrite(text, 1, len, f);
		fclose(f);
	}
	return path;
}

/* Read all of PATH into b (target 64 rows); returns the last fill status. */
static int
read_all(const char *path, struct kx_rows_opts *o, struct kx_batch *b, struct kx_err *e,
         enum kx_in_fmt *fmt)
{
	struct kx_rows *r = kx_rows_open(path, o, e);
	int st;

	if (!r)
		return -1;
	do
		st = kx_rows_fill(r, b, e);
	while (st == KX_FILL_READY && b->n < b->target);
	if (fmt)
		*fmt = kx_rows_format(r);
	kx_rows_close(r);
	return st;
}

void
test_rows(void)
{
	char tmpl[] = "/tmp/kanx-unit-XXXXXX";
	const char *dir = mkdtemp(tmpl), *p;
	struct kx_limits lim;
	struct kx_rows_opts o;
	struct kx_batch b;
	struct kx_err e;
	enum kx_in_fmt fmt;
	const char *msg;
	static const char csv[] = "\xef\xbb\xbfk,f0,f1\r\n\"a,\"\"b\"\"\",1.5,-2\r\nplain, 3 ,4e-1\r\n";
	static const char jl[] = "[1,2]\n\n{\"id\":{\"q\": [1, 2]},\"x\":[[3,4],[5,6]]}\n{\"x\":[7,8],\"id\":\"\\u00e9\"}\n";

	CHECK(dir != NULL);
	if (!dir)
		return;
	kx_limits_init(&lim, &msg);
	memset(&o, 0, sizeof o);
	o.header = -1;
	o.in = 2;
	o.lim = &lim;

	/* CSV: BOM, CRLF, quotes, spaces, an id column by name */
	o.id = "k";
	p = put_file(dir, "a.csv", csv, sizeof csv - 1);
	CHECK(kx_batch_init(&b, 2, 1, 64, lim.max_batch, &e) == 0);
	CHECK(read_all(p, &o, &b, &e, &fmt) == KX_FILL_EOF);
	CHECK(fmt == KX_IN_CSV);
	CHECK(b.n == 2 && b.n_recs == 2);
	CHECK(b.x[0] == 1.5f && b.x[1] == -2.0f && b.x[2] == 3.0f && b.x[3] == 0.4f);
	CHECK(b.recs[0].id_kind == KX_ID_TEXT && b.recs[0].id_len == 5 &&
	      memcmp(b.ids + b.recs[0].id_off, "a,\"b\"", 5) == 0);
	CHECK(b.recs[1].line == 3 && b.recs[1].id_len == 5);
	kx_batch_fini(&b);
	o.id = NULL;

	/* JSON lines sniffed without an extension: forms, ranks, ids */
	p = put_file(dir, "b", jl, sizeof jl - 1);
	CHECK(kx_batch_init(&b, 2, 1, 64, lim.max_batch, &e) == 0);
	CHECK(read_all(p, &o, &b, &e, &fmt) == KX_FILL_EOF);
	CHECK(fmt == KX_IN_JSONL);
	CHECK(b.n == 4 && b.n_recs == 3);
	CHECK(b.recs[0].form == KX_FORM_ARRAY && b.recs[0].rank == 1 && b.recs[0].id_kind == KX_ID_NONE);
	CHECK(b.recs[1].form == KX_FORM_OBJECT && b.recs[1].rank == 2 && b.recs[1].n == 2 &&
	      b.recs[1].line == 3);
	CHECK(b.recs[1].id_kind == KX_ID_JSON && b.recs[1].id_len == 11 &&
	      memcmp(b.ids + b.recs[1].id_off, "{\"q\":[1,2]}", 11) == 0);
	CHECK(b.recs[2].id_kind == KX_ID_TEXT && b.recs[2].id_len == 2 &&
	      memcmp(b.ids + b.recs[2].id_off, "\xc3\xa9", 2) == 0);
	CHECK(b.x[6] == 7.0f && b.x[7] == 8.0f);
	kx_batch_fini(&b);

	/* a refused record leaves the batch as it was before it */
	p = put_file(dir, "c.jsonl", "[1,2]\n[[3,4],[5]]\n[6,7]\n", 24);
	CHECK(kx_batch_init(&b, 2, 1, 64, lim.max_batch, &e) == 0);
	{
		struct kx_rows *r = kx_rows_open(p, &o, &e);
		size_t len;
		const char *t;
		CHECK(r && kx_rows_fill(r, &b, &e) == KX_FILL_REJECT);
		CHECK(b.n == 1 && b.n_recs == 1 && e.code == 5 && e.status == 400);
		CHECK(strstr(e.msg, "c.jsonl:2:8: record 2: x[1]: Expected 2 features per sample, got 1") != NULL);
		t = kx_rows_reject(r, &len);
		CHECK(len == 11 && memcmp(t, "[[3,4],[5]]", 11) == 0);
		CHECK(kx_rows_fill(r, &b, &e) == KX_FILL_EOF && b.n == 2 && b.x[2] == 6.0f);
		CHECK(kx_rows_accepted(r) == 2 && kx_rows_rejected(r) == 1);
		kx_rows_close(r);
	}
	kx_batch_fini(&b);

	/* an API document over several lines; 413 past the max batch */
	p = put_file(dir, "d", "{\n \"x\": [[1,2],\n  [3,4],\n  [5,6]]\n}\n", 36);
	CHECK(kx_batch_init(&b, 2, 1, 64, lim.max_batch, &e) == 0);
	CHECK(read_all(p, &o, &b, &e, &fmt) == KX_FILL_EOF && fmt == KX_IN_API);
	CHECK(b.n == 3 && b.n_recs == 1 && b.recs[0].form == KX_FORM_API);
	kx_batch_reset(&b);
	lim.max_batch = 2;
	CHECK(read_all(p, &o, &b, &e, NULL) == KX_FILL_REJECT && e.code == 6 && e.status == 413);
	CHECK(strstr(e.msg, "d:2:7: batch of 3 rows exceeds the max batch of 2 (413)") != NULL);
	kx_batch_fini(&b);

	remove(put_file(dir, "a.csv", "", 0));
	remove(put_file(dir, "b", "", 0));
	remove(put_file(dir, "c.jsonl", "", 0));
	remove(put_file(dir, "d", "", 0));
	rmdir(dir);
}
