/* bench/layers.c - one KAN layer, timed with the AVX2 kernel's dense and
 * sparse paths, to check the cost model in src/kernel_avx2.c that picks
 * between them (use_sparse). Run by hand: `make bench/layers &&
 * bench/layers`; bench/run.sh runs it when LAYERS=1.
 *
 * For in x out x G (k = 3, silu, a fresh layer with a uniform grid on
 * [-1, 1], inputs uniform on [-1.1, 1.1], batches of 256 rows, one
 * thread) it prints nanoseconds per row for each path (best of 7), their
 * ratio, and which path the model picks. */
#include <stdio.h>
#include <stdlib.h>

#include "clock.h"
#include "kernel.h"
#include "model.h"

int
main(void)
{
	static const size_t ins[] = { 16, 64, 256 }, outs[] = { 1, 16, 64, 256 }, Gs[] = { 3, 5, 10, 20 };
	size_t a, b, g, n = 256, i;

	if (kx_kernel_select("avx2") != 0) {
		fprintf(stderr, "layers: this CPU has no AVX2+FMA; the kernel timed here does not run\n");
		return 1;
	}
	printf("| in | out | G | dense ns/row | sparse ns/row | dense/sparse | picked |\n");
	printf("|---|---|---|---|---|---|---|\n");
	for (a = 0; a < sizeof ins / sizeof ins[0]; a++)
		for (b = 0; b < sizeof outs / sizeof outs[0]; b++)
			for (g = 0; g < sizeof Gs / sizeof Gs[0]; g++) {
				size_t wd[2] = { ins[a], outs[b] }, it, rep, c;
				struct kx_model *m[3];
				struct kx_work *w[2];
				struct kx_err e;
				double best[2] = { 1e9, 1e9 }, work = (double)wd[0] * (double)wd[1] * (double)(Gs[g] + 4);
				float *x = malloc(n * wd[0] * sizeof *x), *y = malloc(n * wd[1] * sizeof *y);
				int picked;

				if (!x || !y)
					return 1;
				/* 0: dense forced, 1: sparse forced, 2: as chosen by cost */
				for (c = 0; c < 3; c++) {
					kx_panel_sparse = c == 2 ? -1 : (int)c;
					m[c] = kx_model_fresh(wd, 2, Gs[g], 3, (struct kx_act){ .kind = KX_ACT_SILU }, -1.0f, 1.0f, 42, &e);
					if (!m[c]) {
						fprintf(stderr, "layers: %s\n", e.msg);
						return 1;
					}
				}
				kx_panel_sparse = -1;
				picked = kx_prep_is_sparse(m[2]->layers[0].prep);
				for (c = 0; c < 2; c++)
					w[c] = kx_work_new(m[c], n);
				for (i = 0; i < n * wd[0]; i++)
					x[i] = (float)rand() / (float)RAND_MAX * 2.2f - 1.1f;
				it = (size_t)(2e8 / work / (double)n) + 1;
				for (rep = 0; rep < 7; rep++)
					for (c = 0; c < 2; c++) {
						double t0 = kx_clock_ms() / 1e3, t;
						size_t k;
						for (k = 0; k < it; k++)
							kx_model_forward(m[c], w[c], x, n, y);
						t = (kx_clock_ms() / 1e3 - t0) / (double)it / (double)n;
						if (t < best[c])
							best[c] = t;
					}
				printf("| %zu | %zu | %zu | %.0f | %.0f | %.2f | %s |\n", wd[0], wd[1], Gs[g],
				       best[0] * 1e9, best[1] * 1e9, best[0] / best[1], picked ? "sparse" : "dense");
				for (c = 0; c < 2; c++)
					kx_work_free(w[c]);
				for (c = 0; c < 3; c++)
					kx_model_free(m[c]);
				free(x);
				free(y);
			}
	return 0;
}
