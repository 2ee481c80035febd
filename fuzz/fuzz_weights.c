/* fuzz/fuzz_weights.c - libFuzzer target: the input is model.weights.h5,
 * put in a .keras beside the config of the keras-3.16 kan_a fixture (KAN
 * [2, 8, 1], G=5, k=3) and loaded the way every command loads a model:
 * libhdf5 from memory, each dataset checked against the config; a
 * forward pass when it loads. Seeds: that fixture's weights and the
 * tests/hostile h5-* variants of it. */
#include "fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const names[] = { "config.json", "model.weights.h5" };
	const unsigned char *parts[2] = { (const unsigned char *)kx_fuzz_kan_a_config, data };
	size_t sizes[2] = { sizeof kx_fuzz_kan_a_config - 1, size }, len;
	unsigned char *zip = kx_fuzz_zip(names, parts, sizes, 2, &len);
	struct kx_model *m;
	struct kx_err e;

	if (!zip)
		return 0;
	kx_err_clear(&e);
	m = kx_model_load_mem("fuzz.keras", zip, len, kx_fuzz_limits(), &e);
	if (m)
		kx_fuzz_forward(m);
	kx_model_free(m);
	free(zip);
	return 0;
}
