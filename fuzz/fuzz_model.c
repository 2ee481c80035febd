/* fuzz/fuzz_model.c - libFuzzer target: a whole .keras image (zip ->
 * config.json -> HDF5 weights) through kx_model_load_mem, and, when it
 * loads, a forward pass of awkward rows through both kernels. */
#include "fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct kx_model *m;
	struct kx_err e;

	kx_err_clear(&e);
	m = kx_model_load_mem("fuzz.keras", data, size, kx_fuzz_limits(), &e);
	if (m)
		kx_fuzz_forward(m);
	kx_model_free(m);
	return 0;
}
