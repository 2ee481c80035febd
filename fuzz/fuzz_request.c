/* fuzz/fuzz_request.c - libFuzzer target: one REST API request document
 * through kx_req_parse (serve-stdin and predict's API format), twice on
 * the same struct, as a session reuses it. */
#include "fuzz.h"
#include "request.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct kx_req r;
	char err[256], shape[256];
	size_t off;
	int i;

	kx_req_init(&r);
	for (i = 0; i < 2; i++)
		if (kx_req_parse(&r, (const char *)data, size, 64, err, sizeof err, &off) == 0)
			kx_req_shape_str(&r, shape, sizeof shape);
	kx_req_free(&r);
	return 0;
}
