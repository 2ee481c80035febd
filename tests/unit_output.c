/* tests/unit_output.c - unit tests: predict's writers (output.c). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "output.h"
#include "rows.h"
#include "sink.h"
#include "unit.h"

/* Output through a sink to a temporary file, read back as a string. */
static struct kx_sink cap_sink;

static FILE *
cap_begin(void)
{
	FILE *f = tmpfile();

	if (f)
		kx_sink_init(&cap_sink, fileno(f), "capture");
	return f;
}

static char *
cap_end(FILE *f)
{
	long n;
	char *text;

	kx_sink_fini(&cap_sink);
	if (!f || fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0)
		return NULL;
	text = calloc(1, (size_t)n + 1);
	if (text && fread(text, 1, (size_t)n, f) != (size_t)n) {
		free(text);
		text = NULL;
	}
	fclose(f);
	return text;
}

void
test_output(void)
{
	struct kx_batch b;
	struct kx_err e;
	struct kx_out *o;
	char *text = NULL;
	FILE *f;

	/* two records: a text id needing quotes, and one without an id */
	CHECK(kx_batch_init(&b, 1, 2, 4, 4, &e) == 0);
	b.n = 2;
	b.n_recs = 2;
	b.recs = calloc(2, sizeof *b.recs);
	b.ids = malloc(16);
	if (!b.recs || !b.ids)
		return;
	memcpy(b.ids, "a,\"b\"\n", 6);
	b.recs[0] = (struct kx_rec){ 0, 1, 1, 0, 6, KX_FORM_ROW, 1, KX_ID_TEXT };
	b.recs[1] = (struct kx_rec){ 1, 1, 2, 0, 0, KX_FORM_ROW, 1, KX_ID_NONE };
	b.y[0] = 0.1f;
	b.y[1] = -2.5e-8f;
	b.y[2] = 1.0f / 3.0f;
	b.y[3] = NAN;

	f = cap_begin();
	o = kx_out_new(&cap_sink, KX_OUT_CSV, 2, 0, 1, 4);
	CHECK(o && kx_out_set_id(o, "key") == 0);
	CHECK(kx_out_batch(o, &b, 0) == 0 && kx_out_flush(o) == 0);
	CHECK(kx_out_rows_written(o) == 2);
	text = cap_end(f);
	CHECK(text && strcmp(text, "key,y0,y1\n\"a,\"\"b\"\"\n\",0.1,-2.5e-08\n,0.33333334,nan\n") == 0);
	kx_out_free(o);
	free(text);

	f = cap_begin();
	o = kx_out_new(&cap_sink, KX_OUT_JSONL, 2, 3, 1, 4);
	CHECK(kx_out_batch(o, &b, 0) == 0 && kx_out_flush(o) == 0);
	text = cap_end(f);
	CHECK(text && strcmp(text, "{\"id\":\"a,\\\"b\\\"\\n\",\"y\":[0.1,-2.5e-08]}\n[0.333,null]\n") == 0);
	kx_out_free(o);
	free(text);

	f = cap_begin();
	o = kx_out_new(&cap_sink, KX_OUT_API, 2, 0, 1, 4);
	CHECK(kx_out_batch(o, &b, 1.5) == 0 && kx_out_finish(o) == 0);
	text = cap_end(f);
	CHECK(text && strcmp(text, "{\"output\":[[0.1,-2.5e-08],[0.33333334,null]],\"shape\":[2,2],"
	                           "\"inference_ms\":1.500}\n") == 0);
	kx_out_free(o);
	free(text);

	/* API responses of exactly `group` rows whatever the batches were:
	 * 2 + 2 + 2 rows in groups of 4 are a response of 4 (written at once)
	 * and one of 2 (at the end); an API document closes the open group
	 * and is a response of its own */
	f = cap_begin();
	o = kx_out_new(&cap_sink, KX_OUT_API, 2, 1, 1, 4);
	CHECK(kx_out_batch(o, &b, 2.0) == 0 && kx_out_flush(o) == 0);
	CHECK(kx_out_rows_written(o) == 0);
	CHECK(kx_out_batch(o, &b, 2.0) == 0 && kx_out_flush(o) == 0);
	CHECK(kx_out_rows_written(o) == 4);
	CHECK(kx_out_batch(o, &b, 2.0) == 0);
	b.n_recs = 1;
	b.recs[0].form = KX_FORM_API;
	b.recs[0].n = 2;
	CHECK(kx_out_batch(o, &b, 1.0) == 0 && kx_out_finish(o) == 0);
	CHECK(kx_out_rows_written(o) == 8);
	text = cap_end(f);
	CHECK(text && strcmp(text,
	      "{\"output\":[[0.1,-3e-08],[0.3,null],[0.1,-3e-08],[0.3,null]],\"shape\":[4,2],\"inference_ms\":4.000}\n"
	      "{\"output\":[[0.1,-3e-08],[0.3,null]],\"shape\":[2,2],\"inference_ms\":2.000}\n"
	      "{\"output\":[[0.1,-3e-08],[0.3,null]],\"shape\":[2,2],\"inference_ms\":1.000}\n") == 0);
	kx_out_free(o);
	free(text);
	kx_batch_fini(&b);
}
