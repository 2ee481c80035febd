/* kernel_portable.c - the panel kernel (kernel_panel_body.h) in plain C,
 * for any CPU: the same operations as kernel_avx2.c in the same order, a
 * lane at a time, with fused multiply-adds by kx_fmaf() (kernel_lanes.h),
 * so it gives the AVX2 kernel's bits where there is no AVX2. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kernel.h"
#include "kernel_impl.h"
#include "kernel_panel.h"

#define KX_LANES_AVX2 0
#define KX_PANEL_FORWARD kx_portable_forward
#include "kernel_lanes.h"
#include "kernel_panel_body.h"

int
kx_portable_fast(void)
{
#ifdef FP_FAST_FMAF
	return 1;
#else
	return 0;
#endif
}
