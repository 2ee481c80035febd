/* fuzz/fuzz_yamlcfg.c - libFuzzer target: a kanx YAML training config
 * through kx_kancfg_read_mem (libyaml, YAML 1.1 scalars, the config's
 * checks and their positioned diagnostics). Seeds: tests/configs. */
#include "fuzz.h"
#include "yamlcfg.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct kx_kancfg *c = NULL;
	struct kx_diags d;
	struct kx_err e;

	kx_diags_init(&d);
	kx_err_clear(&e);
	kx_kancfg_read_mem("fuzz.yaml", data, size, kx_fuzz_limits(), &c, &d, &e);
	kx_kancfg_free(c);
	kx_diags_free(&d);
	return 0;
}
