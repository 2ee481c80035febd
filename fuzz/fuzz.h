/* fuzz/fuzz.h - shared by the fuzz targets: lowered limits and a forward
 * pass over a loaded model. Header-only so each target is one file. */
#ifndef KX_FUZZ_H
#define KX_FUZZ_H

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "err.h"
#include "kxlimits.h"
#include "model.h"
#include "weights.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The default table with the sizes cut to 64 MiB and widths to 4096, so a
 * fuzzer's 2 GiB RSS cap flags real bugs, not a legal 1 GiB model. Also
 * reads HDF5 in this process (not in a child), for the coverage. */
static inline const struct kx_limits *
kx_fuzz_limits(void)
{
	static struct kx_limits lim;
	static int done;
	const char *msg;

	if (!done) {
		kx_limits_init(&lim, &msg);
		lim.archive_bytes = lim.member_bytes = lim.total_inflated = 64u << 20;
		lim.weight_bytes = 64u << 20;
		lim.max_width = 4096;
		kx_weights_isolate(0);   /* libFuzzer needs the coverage in this process */
		done = 1;
	}
	return &lim;
}

/* Rows that hit the grid's inside, its ends, far outside, and NaN. */
static inline void
kx_fuzz_forward(const struct kx_model *m)
{
	static const float probe[] = { 0.0f, 0.5f, -1.0f, 1.0f, 1e30f, -1e30f, NAN, 3.0f };
	const size_t rows = sizeof probe / sizeof probe[0];
	struct kx_work *w;
	float *x, *y;
	size_t i;

	if (m->in > 4096 || m->out > 4096)
		return;
	x = kx_mallocarray(rows * m->in, sizeof *x);
	y = kx_mallocarray(rows * m->out, sizeof *y);
	w = kx_work_new(m, rows);
	if (x && y && w) {
		for (i = 0; i < rows * m->in; i++)
			x[i] = probe[(i + i / m->in) % rows];
		kx_model_forward(m, w, x, rows, y);
		kx_model_forward_ref(m, x, rows, y);
	}
	kx_work_free(w);
	free(x);
	free(y);
}

static inline unsigned char *
kx_fuzz_put(unsigned char *p, uint32_t v, int bytes)
{
	int i;

	for (i = 0; i < bytes; i++)
		*p++ = (unsigned char)(v >> (8 * i));
	return p;
}

/* A stored (uncompressed) zip of n members, as Keras writes them: the
 * way to put fuzzed bytes inside a .keras with the right CRCs, so the
 * fuzzer reaches the layer under test. Returns malloc'd bytes, or NULL. */
static inline unsigned char *
kx_fuzz_zip(const char *const *names, const unsigned char *const *data, const size_t *sizes,
            int n, size_t *len)
{
	size_t total = 22, i;
	unsigned char *buf, *p, *cd;
	uint32_t crc[8], off[8];

	if (n > 8)
		return NULL;
	for (i = 0; i < (size_t)n; i++) {
		if (sizes[i] > 0xffffffffu - 4096)
			return NULL;
		total += 30 + 46 + 2 * strlen(names[i]) + sizes[i];
		crc[i] = (uint32_t)crc32(0L, data[i], (uInt)sizes[i]);
	}
	if (!(buf = malloc(total)))
		return NULL;
	p = buf;
	for (i = 0; i < (size_t)n; i++) {
		size_t nl = strlen(names[i]);
		off[i] = (uint32_t)(p - buf);
		p = kx_fuzz_put(p, 0x04034b50, 4);
		p = kx_fuzz_put(p, 20, 2);
		p = kx_fuzz_put(p, 0, 2);      /* flags */
		p = kx_fuzz_put(p, 0, 2);      /* stored */
		p = kx_fuzz_put(p, 0, 2);
		p = kx_fuzz_put(p, 0x21, 2);   /* 1980-01-01 */
		p = kx_fuzz_put(p, crc[i], 4);
		p = kx_fuzz_put(p, (uint32_t)sizes[i], 4);
		p = kx_fuzz_put(p, (uint32_t)sizes[i], 4);
		p = kx_fuzz_put(p, (uint32_t)nl, 2);
		p = kx_fuzz_put(p, 0, 2);
		memcpy(p, names[i], nl);
		p += nl;
		if (sizes[i])
			memcpy(p, data[i], sizes[i]);
		p += sizes[i];
	}
	cd = p;
	for (i = 0; i < (size_t)n; i++) {
		size_t nl = strlen(names[i]);
		p = kx_fuzz_put(p, 0x02014b50, 4);
		p = kx_fuzz_put(p, 3u << 8 | 20, 2);
		p = kx_fuzz_put(p, 20, 2);
		p = kx_fuzz_put(p, 0, 2);
		p = kx_fuzz_put(p, 0, 2);
		p = kx_fuzz_put(p, 0, 2);
		p = kx_fuzz_put(p, 0x21, 2);
		p = kx_fuzz_put(p, crc[i], 4);
		p = kx_fuzz_put(p, (uint32_t)sizes[i], 4);
		p = kx_fuzz_put(p, (uint32_t)sizes[i], 4);
		p = kx_fuzz_put(p, (uint32_t)nl, 2);
		p = kx_fuzz_put(p, 0, 2);      /* extra */
		p = kx_fuzz_put(p, 0, 2);      /* comment */
		p = kx_fuzz_put(p, 0, 2);      /* disk */
		p = kx_fuzz_put(p, 0, 2);      /* internal attributes */
		p = kx_fuzz_put(p, 0100644u << 16, 4);
		p = kx_fuzz_put(p, off[i], 4);
		memcpy(p, names[i], nl);
		p += nl;
	}
	{
		uint32_t cd_size = (uint32_t)(p - cd), cd_off = (uint32_t)(cd - buf);
		p = kx_fuzz_put(p, 0x06054b50, 4);
		p = kx_fuzz_put(p, 0, 2);
		p = kx_fuzz_put(p, 0, 2);
		p = kx_fuzz_put(p, (uint32_t)n, 2);
		p = kx_fuzz_put(p, (uint32_t)n, 2);
		p = kx_fuzz_put(p, cd_size, 4);
		p = kx_fuzz_put(p, cd_off, 4);
		p = kx_fuzz_put(p, 0, 2);
	}
	*len = (size_t)(p - buf);
	return buf;
}

/* The config.json of the keras-3.16 kan_a fixture: KAN [2, 8, 1], G=5, k=3. */
static const char kx_fuzz_kan_a_config[] =
	"{\"module\": \"kanx.model\", \"class_name\": \"KAN\", \"config\": {\"layers\": [2, 8, 1], "
	"\"grid_size\": 5, \"spline_order\": 3, \"base_activation\": \"silu\", "
	"\"regularization_factor\": 0.0, \"grid_range\": [-1.0, 1.0], \"name\": \"kan\"}, "
	"\"registered_name\": \"kanx>KAN\", \"build_config\": {\"input_shape\": [1, 2]}, "
	"\"compile_config\": {}}";

#endif
