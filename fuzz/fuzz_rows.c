/* fuzz/fuzz_rows.c - libFuzzer target: predict's input readers (CSV, TSV,
 * JSON lines, API documents) over one input file, read to the end with
 * small batches so records straddle them.
 *
 * The first byte picks the options: bits 0-2 the format (auto, csv, tsv,
 * jsonl, api), bits 3-4 the header mode (detect, none, present), bit 5 an
 * id column ("id"), bit 6 range counting, bit 7 strict range; the second
 * byte the features per sample (1 + byte % 8). The rest is the input,
 * written to a temporary file because the reader opens paths. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "fuzz.h"
#include "rows.h"

static const char *
input_file(const uint8_t *data, size_t size)
{
	static char path[64];
	int fd;

	if (!path[0]) {
		const char *t = getenv("TMPDIR");
		snprintf(path, sizeof path, "%s/kanx-fuzz-rows-%ld.in", t && *t ? t : "/tmp", (long)getpid());
	}
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd < 0)
		return NULL;
	while (size > 0) {
		ssize_t w = write(fd, data, size);
		if (w <= 0) {
			close(fd);
			return NULL;
		}
		data += w;
		size -= (size_t)w;
	}
	close(fd);
	return path;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const enum kx_in_fmt fmts[] = { KX_IN_AUTO, KX_IN_CSV, KX_IN_TSV, KX_IN_JSONL, KX_IN_API };
	struct kx_rows_opts o = { 0 };
	struct kx_batch b = { 0 };
	struct kx_rows *r;
	struct kx_err e;
	const char *path;
	size_t rounds = 0, len;
	int st;

	if (size < 2)
		return 0;
	o.fmt = fmts[(data[0] & 7) % 5];
	o.header = ((data[0] >> 3) & 3) % 3 - 1;
	o.id = (data[0] & 32) ? "id" : NULL;
	o.range = (data[0] >> 6) & 1;
	o.strict_range = data[0] >> 7;
	o.lo = -1.0f;
	o.hi = 1.0f;
	o.in = 1 + data[1] % 8;
	o.lim = kx_fuzz_limits();
	if (!(path = input_file(data + 2, size - 2)))
		return 0;
	kx_err_clear(&e);
	if (kx_batch_init(&b, o.in, 1, 3, o.lim->max_batch, &e) != 0 || !(r = kx_rows_open(path, &o, &e))) {
		kx_batch_fini(&b);
		unlink(path);
		return 0;
	}
	do {
		kx_err_clear(&e);
		st = kx_rows_fill(r, &b, &e);
		if (st == KX_FILL_REJECT)
			kx_rows_reject(r, &len);
		kx_batch_reset(&b);
	} while ((st == KX_FILL_READY || st == KX_FILL_REJECT) && ++rounds < 100000);
	kx_rows_format(r);
	kx_rows_out_of_range(r);
	kx_rows_close(r);
	kx_batch_fini(&b);
	unlink(path);
	return 0;
}
