/* fuzz/fuzz_spec.c - libFuzzer target: config.json alone through
 * kx_spec_parse (and metadata.json's reader), without the zip around it
 * whose CRCs would refuse almost every mutation. */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "spec.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct kx_model *m = calloc(1, sizeof *m);
	char *json = malloc(size + 1);
	struct kx_err e;

	if (m && json) {
		memcpy(json, data, size);
		json[size] = '\0';   /* the archive NUL-terminates every member */
		kx_err_clear(&e);
		kx_spec_parse(m, "fuzz:config.json", json, size, kx_fuzz_limits(), &e);
		kx_err_clear(&e);
		kx_spec_metadata(m, "fuzz:metadata.json", json, size, kx_fuzz_limits(), &e);
	}
	kx_model_free(m);
	free(json);
	return 0;
}
