/* kernel_avx2.c - the panel kernel (kernel_panel_body.h) on AVX2+FMA
 * (x86-64): eight rows in the lanes of a ymm register. Compiled for any
 * x86-64 (the functions carry the avx2,fma target themselves); run only
 * where kx_avx2_supported() says the CPU has both. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kernel.h"
#include "kernel_impl.h"
#include "kernel_panel.h"

#if defined(__x86_64__) && defined(__GNUC__)
#define KX_HAVE_AVX2 1
#else
#define KX_HAVE_AVX2 0
#endif

int
kx_avx2_supported(void)
{
#if KX_HAVE_AVX2
	__builtin_cpu_init();
	return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
#else
	return 0;
#endif
}

#if KX_HAVE_AVX2

#define KX_LANES_AVX2 1
#define KX_PANEL_FORWARD kx_avx2_forward
#include "kernel_lanes.h"
#include "kernel_panel_body.h"

#else /* !KX_HAVE_AVX2 */

void
kx_avx2_forward(const struct kx_prep *const *chain, size_t n, float *work, const float *x,
                size_t rows, float *y)
{
	(void)chain, (void)n, (void)work, (void)x, (void)rows, (void)y;
	abort();  /* kx_avx2_supported() said no */
}

#endif
