/* tests/unit_act.c - unit tests: the activations' expf (act.c). */
#include <float.h>
#include <math.h>

#include "act.h"
#include "unit.h"

/* kx_act_expf stays within a few ulp of expf over the range silu needs
 * it exact, and overflows to infinity where expf does. */
void
test_expf(void)
{
	float x, worst = 0.0f;

	for (x = -86.0f; x <= 88.7f; x += 0.000731f) {
		float a = kx_act_expf(x), b = expf(x);
		float rel = fabsf(a - b) / b;
		if (rel > worst)
			worst = rel;
	}
	CHECK(worst < 3.0e-7f);
	if (worst >= 3.0e-7f)
		printf("not ok: kx_act_expf worst relative error %g\n", worst);
	CHECK(isinf(kx_act_expf(88.73f)) && isinf(kx_act_expf(1e30f)) && isinf(kx_act_expf(FLT_MAX)));
	CHECK(isfinite(kx_act_expf(88.72f)) && kx_act_expf(88.72f) > 3.3e38f);
	CHECK(kx_act_expf(-FLT_MAX) >= 0.0f && kx_act_expf(-FLT_MAX) < 1e-37f);
}
