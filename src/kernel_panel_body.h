/* kernel_panel_body.h - the forward pass with rows in eight-float lanes,
 * written once over kernel_lanes.h and compiled once per backend:
 * kernel_avx2.c (AVX2+FMA) and kernel_portable.c (plain C). Both define
 * KX_LANES_AVX2 and KX_PANEL_FORWARD (the name of the exported function)
 * before including it. Each backend's operations give the same bits, so
 * the two kernels give the same bits, row for row.
 *
 * A batch is cut into panels of KX_PANEL rows. Inside a panel every
 * activation is stored feature-major, x[i][r] for the panel's rows r, so
 * one vector holds feature i of eight rows. Then:
 *
 *  - act(x) and the B-spline bases are computed for eight rows at a time
 *    (closed form on uniform cubic grids that pass kx_knots_init's
 *    bound, straight into the layout the product below reads: no
 *    scatter, no zeroing, no packing);
 *  - the product of that panel, A[k][r] with k over [act(x) | B(x)], and
 *    the layer weights is a register-blocked kernel of 16 rows by up to 6
 *    outputs, whose result Y[o][r] is already the next layer's input;
 *  - the weights are cut into 6-output tiles once, at load time;
 *  - a KAN layer with a large grid takes a sparse path instead (use_sparse
 *    in kernel_panel.c): per row only the base row and the k+1 spline rows
 *    under its bases.
 *
 * Each lane computes its own row with the same sequence of operations,
 * whatever the other lanes hold, so a row's result does not depend on the
 * batch it comes in or the thread that runs it. */

/* ---- the product: C[o][16] = sum_k A[k][16] * W[k][o], o < nr ---- */

/* One k of a tile: acc[j] += A[k][.] * W[k][j] for its nr outputs */
KX_LANE void
k_step(const float *restrict a, const float *restrict w, size_t k, const int nr,
       vf acc[KX_NR][KX_PV])
{
	vf av[KX_PV];
	int j, v;

#pragma GCC unroll 4
	for (v = 0; v < KX_PV; v++)
		av[v] = vf_load(a + k * KX_PANEL + 8 * v);
#pragma GCC unroll 12
	for (j = 0; j < nr; j++) {
		vf b = vf_bcast(w + k * (size_t)nr + (size_t)j);
#pragma GCC unroll 4
		for (v = 0; v < KX_PV; v++)
			acc[j][v] = vf_fma(av[v], b, acc[j][v]);
	}
}

/* C[o][r] (+)= sum_k A[k][r] W[k][o] for the nr outputs of one tile. A
 * tile of one to three outputs has too few accumulators to hide the FMA
 * latency, so it sums every ph-th k into its own set and adds the sets
 * at the end: a fixed order, whatever the batch. */
KX_LANE void
tile_pxn(size_t K, const float *restrict a, const float *restrict w, float *restrict c,
         const int nr, const int first)
{
	enum { PHMAX = 4 };
	const int ph = nr <= 1 ? 4 : nr <= 3 ? 2 : 1;
	vf acc[PHMAX][KX_NR][KX_PV];
	size_t k = 0;
	int j, v, q;

#pragma GCC unroll 4
	for (q = 0; q < ph; q++)
#pragma GCC unroll 12
		for (j = 0; j < nr; j++)
#pragma GCC unroll 4
			for (v = 0; v < KX_PV; v++)
				acc[q][j][v] = first || q ? vf_zero() : vf_load(c + j * KX_PANEL + 8 * v);
	for (; k + (size_t)ph <= K; k += (size_t)ph)
#pragma GCC unroll 4
		for (q = 0; q < ph; q++)
			k_step(a, w, k + (size_t)q, nr, acc[q]);
	for (; k < K; k++)
		k_step(a, w, k, nr, acc[0]);
#pragma GCC unroll 12
	for (j = 0; j < nr; j++)
#pragma GCC unroll 4
		for (v = 0; v < KX_PV; v++) {
			vf t = acc[0][j][v];
			if (ph == 2)
				t = vf_add(t, acc[1][j][v]);
			else if (ph == 4)
				t = vf_add(vf_add(t, acc[1][j][v]), vf_add(acc[2][j][v], acc[3][j][v]));
			vf_store(c + j * KX_PANEL + 8 * v, t);
		}
}

#define KX_TILE(NR)                                                                        \
	KX_LANE_ATTR static void tile##NR(size_t K, const float *a, const float *w, float *c,  \
	                                  int first)                                           \
	{                                                                                      \
		if (first)                                                                     \
			tile_pxn(K, a, w, c, NR < KX_NR ? NR : KX_NR, 1);                      \
		else                                                                           \
			tile_pxn(K, a, w, c, NR < KX_NR ? NR : KX_NR, 0);                      \
	}
KX_TILE(1)
KX_TILE(2)
KX_TILE(3)
KX_TILE(4)
KX_TILE(5)
KX_TILE(6)

typedef void (*tile_fn)(size_t, const float *, const float *, float *, int);
static const tile_fn tiles[7] = { NULL, tile1, tile2, tile3, tile4, tile5, tile6 };

/* Y[o][r] = sum_k A[k][r] W[k][o] for a panel */
static void
panel_product(const float *tiled, size_t K, size_t out, const float *a, float *y)
{
	size_t o0, k0;

	/* K in blocks whose slice of the panel stays in L1 across the
	 * output tiles; each block continues the sums the last one stored,
	 * so the additions happen in the same order as in one pass */
	for (k0 = 0; k0 < K; k0 += KX_KC) {
		size_t kc = K - k0 < KX_KC ? K - k0 : KX_KC;
		for (o0 = 0; o0 < out; o0 += KX_NR) {
			size_t nr = out - o0 < KX_NR ? out - o0 : KX_NR;
			tiles[nr](kc, a + k0 * KX_PANEL, tiled + o0 * K + k0 * nr, y + o0 * KX_PANEL,
			          k0 == 0);
		}
	}
}

/* ---- bases ---- */

/* The four pieces of the uniform cubic B-spline at u in [0, 1): the
 * bases mu-3 .. mu on the interval mu. Horner with FMA: 12 operations,
 * and at most an ulp or so from the exact values (the unit tests hold
 * the kernel to the Cox-de Boor reference at every knot). */
KX_LANE void
cubic_pieces(vf u, vf *b0, vf *b1, vf *b2, vf *b3)
{
	const vf s6 = vf_set1(1.0f / 6.0f), half = vf_set1(0.5f);
	vf u2 = vf_mul(u, u), w = vf_sub(vf_set1(1.0f), u);

	*b3 = vf_mul(u2, vf_mul(u, s6));                                   /* u^3/6 */
	*b0 = vf_mul(vf_mul(w, w), vf_mul(w, s6));                         /* (1-u)^3/6 */
	*b1 = vf_fma(u2, vf_fms(u, half, vf_set1(1.0f)), vf_set1(2.0f / 3.0f)); /* u^3/2 - u^2 + 2/3 */
	*b2 = vf_fma(u, vf_fma(u, vf_fnma(u, half, half), half), s6);      /* -u^3/2 + u^2/2 + u/2 + 1/6 */
}

/* Closed form (l->closed), k = 3, eight rows of feature i: the cell of
 * each (vf_cell: mu, and ok where x is inside the extended grid) and the
 * four bases that can be non-zero there, mu-3 .. mu. */
KX_LANE vi
cubic_span8(vf x, float t0, double inv_h, double fn, vf *ok, vf *b0, vf *b1, vf *b2, vf *b3)
{
	vf u;
	vi m = vf_cell(x, t0, inv_h, fn, ok, &u);

	cubic_pieces(u, b0, b1, b2, b3);
	return m;
}

/* The same bases as columns: column j takes b0 where mu = j+3, b1 where
 * mu = j+2, b2 where mu = j+1, b3 where mu = j; every other column is 0.
 * cubic_bases() in kernel_blis.c computes the same pieces without FMA. */
KX_LANE void
cubic_cols(vf x, float t0, double inv_h, double fn, size_t nb, float *dst)
{
	vf ok, b0, b1, b2, b3;
	vi m = cubic_span8(x, t0, inv_h, fn, &ok, &b0, &b1, &b2, &b3);
	/* e_q below is (mu == j+q), each compare made once and slid along;
	 * a row outside the grid matches none */
	vi mu = vi_select(vi_set1(-1000), m, ok), jj = vi_set1(3);
	vf e0 = vi_eq(mu, vi_set1(0)), e1 = vi_eq(mu, vi_set1(1)), e2 = vi_eq(mu, vi_set1(2));
	size_t j;

	for (j = 0; j < nb; j++) {
		vf e3 = vi_eq(mu, jj);
		vf v = vf_select(vf_select(vf_select(vf_and(e0, b3), b2, e1), b1, e2), b0, e3);
		vf_store(dst + j * KX_PANEL, v);
		e0 = e1;
		e1 = e2;
		e2 = e3;
		jj = vi_add(jj, vi_set1(1));
	}
}

/* ---- activations ---- */

/* silu(x) = x / (1 + exp(-x)), with exp as kx_act_expf() in act.c
 * computes it (the same operations in the same order, so the same bits):
 * -x = n ln2 + r, e^r by its degree-7 Taylor polynomial, 2^n from the
 * exponent field, applied in two halves so that 2^n overflows to
 * infinity as exp does, never to a wrong finite value. -x is clamped to
 * [-86, 89]: below, 1 + exp(-x) is 1 in float32 anyway; above, exp
 * overflows, and x / inf is the -0 Keras computes (x * sigmoid(x) with
 * sigmoid = 0). A NaN goes to -86, and stays NaN through x. */
KX_LANE vf
silu8(vf x)
{
	vf t, fn, r, p, e, z = vf_sub(vf_zero(), x);
	vi n;

	/* max/min return their second operand for a NaN first */
	z = vf_max(z, vf_set1(-86.0f));
	z = vf_min(z, vf_set1(89.0f));
	t = vf_mul(z, vf_set1(1.44269504088896341f));
	fn = vf_sub(vf_add(t, vf_set1(12582912.0f)), vf_set1(12582912.0f));
	r = vf_sub(z, vf_mul(fn, vf_set1(0.693145751953125f)));
	r = vf_sub(r, vf_mul(fn, vf_set1(1.428606765330187045e-6f)));
	p = vf_add(vf_set1(1.0f / 720), vf_mul(r, vf_set1(1.0f / 5040)));
	p = vf_add(vf_set1(1.0f / 120), vf_mul(r, p));
	p = vf_add(vf_set1(1.0f / 24), vf_mul(r, p));
	p = vf_add(vf_set1(1.0f / 6), vf_mul(r, p));
	p = vf_add(vf_set1(0.5f), vf_mul(r, p));
	p = vf_add(vf_set1(1.0f), vf_mul(r, p));
	p = vf_add(vf_set1(1.0f), vf_mul(r, p));
	n = vf_to_int(fn);
	e = vf_mul(vf_mul(p, vi_pow2(vi_add(n, vi_set1(-1)))), vf_set1(2.0f));
	return vf_div(x, vf_add(vf_set1(1.0f), e));
}

/* A row-wise activation (softmax, sparsemax, glu, ...) over the in
 * values of each lane, through row (in floats): out values per lane to
 * y, which may be x. */
static void
rowwise_panel(struct kx_act act, const float *x, float *y, size_t in, float *row)
{
	size_t r, i, out;

	if (kx_act_width(act, in, &out) != 0)
		out = 0;  /* refused by the loader; never here */
	for (r = 0; r < KX_PANEL; r++) {
		for (i = 0; i < in; i++)
			row[i] = x[i * KX_PANEL + r];
		kx_act_apply_rows(act, row, row, 1, in);
		for (i = 0; i < out; i++)
			y[i * KX_PANEL + r] = row[i];
	}
}

/* The activation of a panel of in features: silu vectorised, row-wise
 * ones lane by lane through row (in floats), the rest by act.c. */
KX_LANE_ATTR static void
act_panel(struct kx_act act, const float *x, float *y, size_t in, float *row)
{
	size_t i, n = in * KX_PANEL;

	if (act.kind == KX_ACT_SILU) {
		for (i = 0; i < n; i += 8)
			vf_store(y + i, silu8(vf_load(x + i)));
		return;
	}
	if (kx_act_is_rowwise(act)) {
		rowwise_panel(act, x, y, in, row);
		return;
	}
	kx_act_apply(act, x, y, n);
}

/* Inputs past l->x_safe: Keras's overflow (kx_kan_extreme), in a panel.
 * The test is a vector compare of the panel's |x| (a NaN passes it, as
 * in kx_kan_extreme); the rare panel with one goes row by row. */
KX_LANE_ATTR static void
extremes(const struct kx_kop *l, const float *x, float *y)
{
	vf big = vf_zero(), lim = vf_set1(l->kn->x_safe);
	size_t i, r;

	for (i = 0; i < l->in * KX_PANEL; i += 8)
		big = vf_or(big, vf_lt(lim, vf_abs(vf_load(x + i))));
	if (!vf_any(big))
		return;
	for (i = 0; i < l->in; i++)
		for (r = 0; r < KX_PANEL; r++)
			kx_kan_extreme(l->kn, l->spline_w, l->out, i, x[i * KX_PANEL + r], y + r, KX_PANEL);
}

/* ---- the sparse path ---- */

/* Closed form, k = 3, eight rows: mu (0 for a row outside the grid) and
 * the four bases (0 outside), as cubic_cols() computes them. */
KX_LANE void
cubic_span(vf x, float t0, double inv_h, double fn, int32_t *mu, float *L)
{
	vf ok, b0, b1, b2, b3;
	vi m = cubic_span8(x, t0, inv_h, fn, &ok, &b0, &b1, &b2, &b3);

	vi_store(mu, m);  /* 0 outside */
	vf_store(L, vf_and(ok, b0));
	vf_store(L + KX_PANEL, vf_and(ok, b1));
	vf_store(L + 2 * KX_PANEL, vf_and(ok, b2));
	vf_store(L + 3 * KX_PANEL, vf_and(ok, b3));
}

/* Outputs ob .. ob+8nv-1 of the whole panel: input by input, for each
 * row, the base weights times act(x) and the k+1 spline rows under the
 * row's bases are added to the row's sums, kept in c[r][0..64) between
 * inputs so the weights of an input are read once for all 16 rows. */
KX_LANE void
sparse_block(const struct kx_prep *p, size_t ob, const float *act, const int32_t *mu,
             const float *L, float *restrict c, const int nv, const size_t kk)
{
	const struct kx_kop *l = &p->op;
	size_t in = l->in, k = kk ? kk : l->k, op = p->sparse_op, rows = kx_panel_sparse_rows(l);
	size_t i, idx, r;
	const float *w = p->sparse_w + ob;
	int v;

	for (i = 0; i < in; i++) {
		const float *wi = w + i * rows * op;
		for (r = 0; r < KX_PANEL; r++) {
			const float *ws = wi + (size_t)(1 + mu[i * KX_PANEL + r]) * op;
			const float *Li = L + i * (k + 1) * KX_PANEL + r;
			float *cr = c + r * 64;
			vf acc[8], a = vf_bcast(act + i * KX_PANEL + r);
#pragma GCC unroll 8
			for (v = 0; v < nv; v++)
				acc[v] = vf_fma(a, vf_loadu(wi + 8 * v), vf_load(cr + 8 * v));
#pragma GCC unroll 4
			for (idx = 0; idx <= k; idx++) {
				vf b = vf_bcast(Li + idx * KX_PANEL);
#pragma GCC unroll 8
				for (v = 0; v < nv; v++)
					acc[v] = vf_fma(b, vf_loadu(ws + idx * op + 8 * v), acc[v]);
			}
#pragma GCC unroll 8
			for (v = 0; v < nv; v++)
				vf_store(cr + 8 * v, acc[v]);
		}
	}
}

#define KX_SPARSE_BLOCK(NV)                                                                 \
	KX_LANE_ATTR static void sparse_block##NV(const struct kx_prep *p, size_t ob,          \
	                                          const float *act, const int32_t *mu,         \
	                                          const float *L, float *c)                    \
	{                                                                                       \
		if (p->op.k == 3)                                                               \
			sparse_block(p, ob, act, mu, L, c, NV, 3);                              \
		else                                                                            \
			sparse_block(p, ob, act, mu, L, c, NV, 0);                              \
	}
KX_SPARSE_BLOCK(1)
KX_SPARSE_BLOCK(2)
KX_SPARSE_BLOCK(3)
KX_SPARSE_BLOCK(4)
KX_SPARSE_BLOCK(5)
KX_SPARSE_BLOCK(6)
KX_SPARSE_BLOCK(7)
KX_SPARSE_BLOCK(8)

typedef void (*sparse_fn)(const struct kx_prep *, size_t, const float *, const int32_t *,
                          const float *, float *);
static const sparse_fn sparse_blocks[9] = { NULL, sparse_block1, sparse_block2, sparse_block3,
	sparse_block4, sparse_block5, sparse_block6, sparse_block7, sparse_block8 };

KX_LANE_ATTR static void
kan_sparse_panel(const struct kx_prep *p, const float *x, float *y, float *a, float *row)
{
	const struct kx_kop *l = &p->op;
	const struct kx_knots *kn = l->kn;
	size_t in = l->in, G = l->G, k = l->k, n = G + 2 * k, nk = n + 1, i, r, idx, ob;
	float *act = a, *L = a + 2 * in * KX_PANEL, Ls[KX_MAX_ORDER + 1];
	float c[KX_PANEL * 64] __attribute__((aligned(32)));
	int32_t *mu = (int32_t *)(a + in * KX_PANEL);

	act_panel(l->act, x, act, in, row);
	for (i = 0; i < in; i++) {
		float *Li = L + i * (k + 1) * KX_PANEL;
		if (kn->closed && k == 3) {
			for (r = 0; r < KX_PANEL; r += 8)
				cubic_span(vf_load(x + i * KX_PANEL + r), kn->t0[i], kn->inv_hd[i], (double)n,
				           mu + i * KX_PANEL + r, Li + r);
			continue;
		}
		for (r = 0; r < KX_PANEL; r++) {
			long m = kx_bspline_span(kn->ext + i * nk, G, k, x[i * KX_PANEL + r], Ls, kn->uniform,
			                         kn->inv_h[i]);
			mu[i * KX_PANEL + r] = m < 0 ? 0 : (int32_t)m;
			for (idx = 0; idx <= k; idx++)
				Li[idx * KX_PANEL + r] = m < 0 ? 0.0f : Ls[idx];
		}
	}
	for (ob = 0; ob < p->sparse_op; ob += 64) {
		size_t nv = (p->sparse_op - ob) / 8 < 8 ? (p->sparse_op - ob) / 8 : 8, o,
		       end = l->out - ob < 64 ? l->out - ob : 64;
		memset(c, 0, sizeof c);
		sparse_blocks[nv](p, ob, act, mu, L, c);
		for (o = 0; o < end; o++)
			for (r = 0; r < KX_PANEL; r++)
				y[(ob + o) * KX_PANEL + r] = c[r * 64 + o];
	}
	extremes(l, x, y);
}

/* ---- layers on a panel ---- */

KX_LANE_ATTR static void
kan_panel(const struct kx_prep *p, const float *x, float *y, float *a, float *scratch)
{
	const struct kx_kop *l = &p->op;
	const struct kx_knots *kn = l->kn;
	size_t in = l->in, G = l->G, k = l->k, nb = G + k, n = G + 2 * k, nk = n + 1, i, r, j;
	float *bases = a + in * KX_PANEL;

	act_panel(l->act, x, a, in, scratch);
	if (kn->closed && k == 3) {
		for (i = 0; i < in; i++) {
			float *dst = bases + i * nb * KX_PANEL;
			for (r = 0; r < KX_PANEL; r += 8)
				cubic_cols(vf_load(x + i * KX_PANEL + r), kn->t0[i], kn->inv_hd[i], (double)n, nb,
				           dst + r);
		}
	} else {
		/* any order, any grid: local de Boor per row on the actual knots */
		for (i = 0; i < in; i++) {
			float *dst = bases + i * nb * KX_PANEL;
			for (r = 0; r < KX_PANEL; r++) {
				memset(scratch, 0, nb * sizeof *scratch);
				kx_bspline_local(kn->ext + i * nk, G, k, x[i * KX_PANEL + r], scratch,
				                 kn->uniform, kn->inv_h[i]);
				for (j = 0; j < nb; j++)
					dst[j * KX_PANEL + r] = scratch[j];
			}
		}
	}
	panel_product(p->tiled, in * (1 + nb), l->out, a, y);
	extremes(l, x, y);
}

KX_LANE_ATTR static void
dense_panel(const struct kx_prep *p, const float *x, float *y, float *row)
{
	const struct kx_kop *l = &p->op;
	size_t o, r;

	panel_product(p->tiled, l->in, l->out, x, y);
	if (l->bias)
		for (o = 0; o < l->out; o++)
			for (r = 0; r < KX_PANEL; r++)
				y[o * KX_PANEL + r] += l->bias[o];
	act_panel(l->act, y, y, l->out, row);
}

KX_LANE_ATTR void
KX_PANEL_FORWARD(const struct kx_prep *const *chain, size_t nl, float *work, const float *x,
                 size_t n, float *y)
{
	size_t in = chain[0]->op.in, out = chain[nl - 1]->op.out, panel, apanel, extra_n, r0, r, i,
	       li;
	float *buf[2], *a, *extra;

	/* checked by kx_panel_work_floats */
	kx_panel_work_layout(chain, nl, in, &panel, &apanel, &extra_n);
	buf[0] = work;
	buf[1] = work + panel;
	a = work + 2 * panel;
	extra = a + apanel;
	for (r0 = 0; r0 < n; r0 += KX_PANEL) {
		size_t np = n - r0 < KX_PANEL ? n - r0 : KX_PANEL, cur = 0;
		const float *src = x + r0 * in;

		/* rows in, feature-major; lanes past the batch hold 0 */
		for (r = 0; r < np; r++)
			for (i = 0; i < in; i++)
				buf[0][i * KX_PANEL + r] = src[r * in + i];
		for (; r < KX_PANEL; r++)
			for (i = 0; i < in; i++)
				buf[0][i * KX_PANEL + r] = 0.0f;
		for (li = 0; li < nl; li++) {
			const struct kx_prep *p = chain[li];
			const struct kx_kop *l = &p->op;
			const float *xp = buf[cur];
			float *yp = buf[cur ^ 1];
			switch (l->fast) {
			case KX_FAST_KAN:
				if (p->sparse_w)
					kan_sparse_panel(p, xp, yp, a, extra);
				else
					kan_panel(p, xp, yp, a, extra);
				break;
			case KX_FAST_MATMUL:
				dense_panel(p, xp, yp, extra);
				break;
			case KX_FAST_ACT:
				act_panel(l->act, xp, yp, l->in, extra);
				break;
			case KX_FAST_IDENTITY:
				continue;  /* the panel stays where it is */
			}
			cur ^= 1;
		}
		for (r = 0; r < np; r++)
			for (i = 0; i < out; i++)
				y[(r0 + r) * out + i] = buf[cur][i * KX_PANEL + r];
	}
}
