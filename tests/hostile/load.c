/* tests/hostile/load.c - load each model named on the command line the
 * way every kanx command does (kx_model_load), print "kanx: MESSAGE" for
 * a refusal and "FILE: ok" for a success, and exit with the kanx exit
 * status of the last failure (0 when all loaded). The hostile corpus test
 * and the valgrind run use it so they test the loader alone. */
#include <stdio.h>

#include "err.h"
#include "kanx.h"
#include "limits.h"
#include "model.h"

int
main(int argc, char **argv)
{
	struct kx_limits lim;
	struct kx_model *m;
	struct kx_err e;
	const char *msg = NULL;
	int i, rc = KX_EXIT_OK;

	if (argc < 2) {
		fprintf(stderr, "usage: load MODEL...\n");
		return KX_EXIT_USAGE;
	}
	if (kx_limits_init(&lim, &msg) != 0) {
		kx_msg("%s", msg);
		return KX_EXIT_USAGE;
	}
	for (i = 1; i < argc; i++) {
		kx_err_clear(&e);
		m = kx_model_load(argv[i], &lim, &e);
		if (!m) {
			kx_err_print(&e);
			rc = e.code ? e.code : KX_EXIT_INTERNAL;
			continue;
		}
		printf("%s: ok: %zu layers, %zu -> %zu\n", argv[i], m->n_layers, m->in, m->out);
		kx_model_free(m);
	}
	if (fflush(stdout) != 0 || ferror(stdout))
		return KX_EXIT_IO;
	return rc;
}
