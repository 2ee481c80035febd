/* kernel_ref.c - the plain reference kernel: every layer exactly as Keras
 * computes it in float32, Cox-de Boor over every basis (bspline.h) and
 * plain loops; the fast kernels are tested against it. */
#include <stdlib.h>
#include <string.h>

#include "kernel.h"
#include "kernel_impl.h"
#include "kxlimits.h"

static void
kan(const struct kx_kop *l, const float *x, size_t n, float *y)
{
	size_t nb = l->G + l->k, b, i, o, j;
	float *bases = kx_mallocarray(2 * nb + l->k + 1, sizeof(float)), *tmp;
	float *a = kx_mallocarray(l->in, sizeof(float));

	if (!bases || !a)
		abort();
	tmp = bases + nb;
	for (b = 0; b < n; b++) {
		float *yr = y + b * l->out;
		for (o = 0; o < l->out; o++)
			yr[o] = 0.0f;
		kx_act_apply_rows(l->act, x + b * l->in, a, 1, l->in);  /* row-wise ones need the row */
		for (i = 0; i < l->in; i++) {
			float xi = x[b * l->in + i];
			kx_bspline_ref(l->kn, i, xi, bases, tmp);
			for (o = 0; o < l->out; o++) {
				float s = a[i] * l->base_w[i * l->out + o];
				const float *w = l->spline_w + (i * l->out + o) * nb;
				for (j = 0; j < nb; j++)
					s += bases[j] * w[j];
				yr[o] += s;
			}
		}
	}
	free(bases);
	free(a);
}

static void
matmul(const struct kx_kop *l, const float *x, size_t n, float *y)
{
	size_t b, i, o;

	for (b = 0; b < n; b++)
		for (o = 0; o < l->out; o++) {
			float s = 0.0f;
			for (i = 0; i < l->in; i++)
				s += x[b * l->in + i] * l->kernel[i * l->out + o];
			y[b * l->out + o] = s;
		}
	kx_dense_epilogue(l, n, y);
}

void
kx_ref_forward(const struct kx_kop *op, const float *x, size_t n, float *y)
{
	switch (op->fast) {
	case KX_FAST_KAN:
		kan(op, x, n, y);
		break;
	case KX_FAST_MATMUL:
		matmul(op, x, n, y);
		break;
	case KX_FAST_ACT:
		kx_act_apply_rows(op->act, x, y, n, op->in);
		break;
	case KX_FAST_IDENTITY:
		memcpy(y, x, n * op->in * sizeof *y);
		break;
	}
}
