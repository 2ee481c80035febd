/* ref64.c - the double-precision reference path (see ref64.h); the
 * activations in double are act.c's (act_body.h). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "layer.h"
#include "model.h"
#include "dtype.h"
#include "kxlimits.h"
#include "ref64.h"

void
kx_dense_forward64(const struct kx_layer *l, const double *x, size_t n, double *y)
{
	const double *k = l->w64[0], *bias = l->use_bias ? l->w64[1] : NULL;
	size_t b, i, o, u = l->units;

	for (b = 0; b < n; b++)
		for (o = 0; o < u; o++) {
			double s = 0.0;
			for (i = 0; i < l->in; i++)
				s += x[b * l->in + i] * k[i * u + o];
			y[b * u + o] = bias ? s + bias[o] : s;
		}
	kx_act_apply_rows64(l->act, y, y, n, u);
}

void
kx_kan_forward64(const struct kx_layer *l, const double *x, size_t n, double *y)
{
	size_t G = l->G, k = l->k, nb = G + k, nk = G + 2 * k + 1, b, i, o, j, d;
	const double *base_w = l->w64[0], *spline_w = l->w64[1], *grid = l->w64[2];
	double *ext = malloc(l->in * nk * sizeof *ext), *bases = malloc(nk * sizeof *bases);
	double *a = malloc(l->in * sizeof *a);

	if (!ext || !bases || !a)
		abort();  /* as the reference kernels: small, sized by the layer */
	/* Keras's _extended_grid: k knots h apart past each end */
	for (i = 0; i < l->in; i++) {
		const double *g = grid + i * (G + 1);
		double *t = ext + i * nk, h = (g[G] - g[0]) / (double)G;
		for (j = 0; j < k; j++)
			t[j] = g[0] + ((double)(j + 1) - (double)(k + 1)) * h;
		for (j = 0; j <= G; j++)
			t[k + j] = g[j];
		for (j = 1; j <= k; j++)
			t[k + G + j] = g[G] + (double)j * h;
	}
	for (b = 0; b < n; b++) {
		double *yr = y + b * l->out;
		for (o = 0; o < l->out; o++)
			yr[o] = 0.0;
		kx_act_apply_rows64(l->act, x + b * l->in, a, 1, l->in);
		for (i = 0; i < l->in; i++) {
			const double *t = ext + i * nk;
			double xi = x[b * l->in + i];
			/* b_spline_basis: order 0, then Cox-de Boor, zero denominators 1 */
			for (j = 0; j + 1 < nk; j++)
				bases[j] = xi >= t[j] && xi < t[j + 1] ? 1.0 : 0.0;
			for (d = 1; d <= k; d++)
				for (j = 0; j + d + 1 < nk; j++) {
					double d1 = t[j + d] - t[j], d2 = t[j + d + 1] - t[j + 1];
					d1 = d1 == 0.0 ? 1.0 : d1;
					d2 = d2 == 0.0 ? 1.0 : d2;
					bases[j] = (xi - t[j]) / d1 * bases[j] + (t[j + d + 1] - xi) / d2 * bases[j + 1];
				}
			for (o = 0; o < l->out; o++) {
				const double *w = spline_w + (i * l->out + o) * nb;
				double s = a[i] * base_w[i * l->out + o];
				for (j = 0; j < nb; j++)
					s += bases[j] * w[j];
				yr[o] += s;
			}
		}
	}
	free(ext);
	free(bases);
	free(a);
}

/* the most bytes of node buffers a work area holds at once */
#define KX_FORWARD64_BYTES ((size_t)64 << 20)
#define KX_FORWARD64_ROWS 64

int
kx_forward64_alloc(const struct kx_model *m, size_t max_rows, double **node64, float **node32,
                   size_t *rows)
{
	size_t per_row, r, s;

	*node64 = NULL;
	*node32 = NULL;
	/* a row of every node, in double and in float */
	if (kx_mul(m->n_layers + 1, m->max_width ? m->max_width : 1, &per_row) != 0 ||
	    kx_mul(per_row, sizeof(double) + sizeof(float), &s) != 0)
		return -1;
	r = KX_FORWARD64_BYTES / s;
	r = r < 1 ? 1 : r > KX_FORWARD64_ROWS ? KX_FORWARD64_ROWS : r;
	r = r < max_rows ? r : max_rows ? max_rows : 1;
	if (kx_mul(per_row, r, &s) != 0 || !(*node64 = kx_mallocarray(s, sizeof **node64)) ||
	    !(*node32 = kx_mallocarray(s, sizeof **node32))) {
		free(*node64);
		*node64 = NULL;
		return -1;
	}
	*rows = r;
	return 0;
}

void
kx_forward64(const struct kx_model *m, double *node64, float *node32, size_t rows,
             const float *x, const double *x64, size_t n, float *y, double *y64)
{
	size_t stride = rows * m->max_width, c, cnt, i, j, k;
	const double *in64[KX_MAX_INPUTS];
	const float *in32[KX_MAX_INPUTS];

	for (c = 0; c < n; c += cnt) {
		cnt = n - c < rows ? n - c : rows;
		/* the input, cast to the InputLayer's dtype: a float32 value
		 * is the same in double; a float64 input (x64) as read, and in
		 * float for a float32 layer that reads it */
		if (x64) {
			memcpy(node64, x64 + c * m->in, cnt * m->in * sizeof *node64);
			for (k = 0; k < cnt * m->in; k++)
				node32[k] = (float)node64[k];
		} else {
			memcpy(node32, x + c * m->in, cnt * m->in * sizeof *node32);
			for (k = 0; k < cnt * m->in; k++)
				node64[k] = (double)node32[k];
		}
		for (i = 0; i < m->n_layers; i++) {
			const struct kx_layer *l = &m->layers[i];
			double *d = node64 + (i + 1) * stride;
			float *f = node32 + (i + 1) * stride;
			for (j = 0; j < l->n_inputs && j < KX_MAX_INPUTS; j++) {
				in64[j] = node64 + l->inputs[j] * stride;
				in32[j] = node32 + l->inputs[j] * stride;
			}
			/* Layer.__call__ casts each float input to the layer's
			 * compute dtype: node32 is node64 rounded to float */
			if (kx_dtype_is64(l->dtype)) {
				l->ops->forward64(l, in64, cnt, d);
				for (k = 0; k < cnt * l->out; k++)
					f[k] = (float)d[k];
			} else {
				l->ops->forward(l, in32, cnt, f);
				for (k = 0; k < cnt * l->out; k++)
					d[k] = (double)f[k];
			}
		}
		/* the outputs side by side (no output list: the last node); in
		 * double (y64: a float32 output's values are floats there) or
		 * rounded to float */
		for (i = 0, j = 0; i < (m->outputs ? m->n_outputs : 1); i++) {
			size_t o = m->outputs ? m->outputs[i] : m->n_layers, ow = kx_model_output_width(m, i);
			for (k = 0; k < cnt; k++) {
				if (y64)
					memcpy(y64 + (c + k) * m->out + j, node64 + o * stride + k * ow,
					       ow * sizeof *y64);
				else
					memcpy(y + (c + k) * m->out + j, node32 + o * stride + k * ow,
					       ow * sizeof *y);
			}
			j += ow;
		}
	}
}
