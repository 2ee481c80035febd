/* kernel_lanes.h - eight float32 lanes, two ways: AVX2+FMA intrinsics
 * (KX_LANES_AVX2 defined to 1) or plain C (0).
 *
 * The panel kernel (kernel_panel.h) is written once against these
 * operations and compiled once per backend. Every operation here is an
 * IEEE 754 operation with one exactly defined result per lane: add, sub,
 * mul, div and fused multiply-add rounded to nearest, compares, selects,
 * conversions of values that are in range. So the two backends give the
 * same bits, lane for lane, on any CPU: the plain C one is the AVX2 one
 * where there is no AVX2.
 *
 * Masks are lanes of all ones (true) or all zeros (false), as AVX2's
 * compares make them. Included by kernel_avx2.c and kernel_portable.c
 * only. */
#ifndef KX_KERNEL_LANES_H
#define KX_KERNEL_LANES_H

#include <math.h>
#include <stdint.h>
#include <string.h>

#if KX_LANES_AVX2

#include <immintrin.h>

#define KX_LANE_ATTR __attribute__((target("avx2,fma")))
#define KX_LANE static inline __attribute__((always_inline, target("avx2,fma")))

typedef __m256 vf;   /* eight floats */
typedef __m256i vi;  /* eight int32 */

KX_LANE vf vf_load(const float *p) { return _mm256_load_ps(p); }
KX_LANE vf vf_loadu(const float *p) { return _mm256_loadu_ps(p); }
KX_LANE void vf_store(float *p, vf a) { _mm256_store_ps(p, a); }
KX_LANE vf vf_set1(float a) { return _mm256_set1_ps(a); }
KX_LANE vf vf_bcast(const float *p) { return _mm256_broadcast_ss(p); }
KX_LANE vf vf_zero(void) { return _mm256_setzero_ps(); }
KX_LANE vf vf_add(vf a, vf b) { return _mm256_add_ps(a, b); }
KX_LANE vf vf_sub(vf a, vf b) { return _mm256_sub_ps(a, b); }
KX_LANE vf vf_mul(vf a, vf b) { return _mm256_mul_ps(a, b); }
KX_LANE vf vf_div(vf a, vf b) { return _mm256_div_ps(a, b); }
/* a*b + c, a*b - c and -(a*b) + c, each rounded once */
KX_LANE vf vf_fma(vf a, vf b, vf c) { return _mm256_fmadd_ps(a, b, c); }
KX_LANE vf vf_fms(vf a, vf b, vf c) { return _mm256_fmsub_ps(a, b, c); }
KX_LANE vf vf_fnma(vf a, vf b, vf c) { return _mm256_fnmadd_ps(a, b, c); }
/* a > b ? a : b and a < b ? a : b: b where either is NaN */
KX_LANE vf vf_max(vf a, vf b) { return _mm256_max_ps(a, b); }
KX_LANE vf vf_min(vf a, vf b) { return _mm256_min_ps(a, b); }
KX_LANE vf vf_and(vf a, vf b) { return _mm256_and_ps(a, b); }
/* m ? b : a, per lane */
KX_LANE vf vf_select(vf a, vf b, vf m) { return _mm256_blendv_ps(a, b, m); }
KX_LANE vf vf_ge(vf a, vf b) { return _mm256_cmp_ps(a, b, _CMP_GE_OQ); }
KX_LANE vf vf_lt(vf a, vf b) { return _mm256_cmp_ps(a, b, _CMP_LT_OQ); }
KX_LANE vf vf_or(vf a, vf b) { return _mm256_or_ps(a, b); }
/* |a|, clearing the sign bit */
KX_LANE vf vf_abs(vf a) { return _mm256_andnot_ps(_mm256_set1_ps(-0.0f), a); }
/* 1 if any lane of the mask is set */
KX_LANE int vf_any(vf m) { return _mm256_movemask_ps(m) != 0; }

KX_LANE void vi_store(int32_t *p, vi a) { _mm256_store_si256((__m256i *)p, a); }
KX_LANE vi vi_set1(int32_t a) { return _mm256_set1_epi32(a); }
KX_LANE vi vi_add(vi a, vi b) { return _mm256_add_epi32(a, b); }
KX_LANE vf vi_eq(vi a, vi b) { return _mm256_castsi256_ps(_mm256_cmpeq_epi32(a, b)); }
KX_LANE vi vi_select(vi a, vi b, vf m) { return _mm256_blendv_epi8(a, b, _mm256_castps_si256(m)); }
/* a float holding a whole number in int32 range, to that int32 */
KX_LANE vi vf_to_int(vf a) { return _mm256_cvtps_epi32(a); }
/* 2^(a) for -126 <= a <= 127, built as the exponent field */
KX_LANE vf vi_pow2(vi a)
{
	return _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(a, _mm256_set1_epi32(127)), 23));
}

/* The closed form's cell of each lane, as kx_closed_cell() in kernel.h:
 * f = (x - t0) * inv_h in double; *ok where 0 <= f < n; mu = floor(f)
 * and *u = f - mu there, 0 and 0 elsewhere. */
KX_LANE vi
vf_cell(vf x, float t0, double inv_h, double n, vf *ok, vf *u)
{
	const __m256d t = _mm256_set1_pd((double)t0), ih = _mm256_set1_pd(inv_h), nn = _mm256_set1_pd(n),
	              z = _mm256_setzero_pd();
	const __m256i lo32 = _mm256_setr_epi32(0, 2, 4, 6, 1, 3, 5, 7);
	__m256d f[2], okd[2];
	__m128i m[2], okw[2];
	__m128 uh[2];
	int h;

	f[0] = _mm256_mul_pd(_mm256_sub_pd(_mm256_cvtps_pd(_mm256_castps256_ps128(x)), t), ih);
	f[1] = _mm256_mul_pd(_mm256_sub_pd(_mm256_cvtps_pd(_mm256_extractf128_ps(x, 1)), t), ih);
	for (h = 0; h < 2; h++) {
		okd[h] = _mm256_and_pd(_mm256_cmp_pd(f[h], z, _CMP_GE_OQ),
		                       _mm256_cmp_pd(f[h], nn, _CMP_LT_OQ));
		f[h] = _mm256_and_pd(okd[h], f[h]);
		m[h] = _mm256_cvttpd_epi32(f[h]);
		uh[h] = _mm256_cvtpd_ps(_mm256_sub_pd(f[h], _mm256_cvtepi32_pd(m[h])));
		/* the 64-bit masks to 32: their low halves */
		okw[h] = _mm256_castsi256_si128(
		    _mm256_permutevar8x32_epi32(_mm256_castpd_si256(okd[h]), lo32));
	}
	*ok = _mm256_castsi256_ps(_mm256_set_m128i(okw[1], okw[0]));
	*u = _mm256_set_m128(uh[1], uh[0]);
	return _mm256_set_m128i(m[1], m[0]);
}

#else /* plain C */

#define KX_LANE_ATTR
#define KX_LANE static inline

typedef struct { float f[8]; } vf;
typedef struct { int32_t i[8]; } vi;

/* every lane l_ of a vector */
#define KX_LANES(...) do { int l_; for (l_ = 0; l_ < 8; l_++) { __VA_ARGS__; } } while (0)
#define L_ l_

static inline uint32_t kx_bits(float a) { uint32_t u; memcpy(&u, &a, sizeof u); return u; }
static inline float kx_float(uint32_t u) { float a; memcpy(&a, &u, sizeof a); return a; }

/* fmaf(a, b, c), rounded once, without an FMA instruction (x86-64 before
 * FMA3, where libm's fmaf would be a slow call): the product of two
 * floats is exact in double; the sum p + c is rounded to double and, when
 * inexact, moved to its odd neighbour toward the exact sum ("round to
 * odd", by the exact error from TwoSum); that rounds to float as the
 * exact sum would, double having more than 24 + 1 bits. */
static inline float
kx_fmaf_soft(float a, float b, float c)
{
	double p = (double)a * (double)b, cd = (double)c, s = p + cd, bv = s - p;
	double e = (p - (s - bv)) + (cd - bv);
	uint64_t u, odd;

	/* branch-free: the low bit is set where the sum was inexact (e != 0,
	 * and not NaN: s infinite) and even, by a step toward e */
	memcpy(&u, &s, sizeof u);
	odd = (uint64_t)((e != 0.0) & (e == e)) & ~u & 1u;
	u += odd * (((e > 0.0) == (s > 0.0)) ? 1u : (uint64_t)-1);
	memcpy(&s, &u, sizeof s);
	return (float)s;
}

/* fmaf(a, b, c): the instruction where the compiler has one to inline */
static inline float
kx_fmaf(float a, float b, float c)
{
#ifdef FP_FAST_FMAF
	return fmaf(a, b, c);
#else
	return kx_fmaf_soft(a, b, c);
#endif
}

KX_LANE vf vf_load(const float *p) { vf r; memcpy(r.f, p, sizeof r.f); return r; }
KX_LANE vf vf_loadu(const float *p) { vf r; memcpy(r.f, p, sizeof r.f); return r; }
KX_LANE void vf_store(float *p, vf a) { memcpy(p, a.f, sizeof a.f); }
KX_LANE vf vf_set1(float a) { vf r; KX_LANES(r.f[L_] = a); return r; }
KX_LANE vf vf_bcast(const float *p) { return vf_set1(*p); }
KX_LANE vf vf_zero(void) { return vf_set1(0.0f); }
KX_LANE vf vf_add(vf a, vf b) { KX_LANES(a.f[L_] = a.f[L_] + b.f[L_]); return a; }
KX_LANE vf vf_sub(vf a, vf b) { KX_LANES(a.f[L_] = a.f[L_] - b.f[L_]); return a; }
KX_LANE vf vf_mul(vf a, vf b) { KX_LANES(a.f[L_] = a.f[L_] * b.f[L_]); return a; }
KX_LANE vf vf_div(vf a, vf b) { KX_LANES(a.f[L_] = a.f[L_] / b.f[L_]); return a; }
KX_LANE vf vf_fma(vf a, vf b, vf c) { KX_LANES(a.f[L_] = kx_fmaf(a.f[L_], b.f[L_], c.f[L_])); return a; }
KX_LANE vf vf_fms(vf a, vf b, vf c) { KX_LANES(a.f[L_] = kx_fmaf(a.f[L_], b.f[L_], -c.f[L_])); return a; }
KX_LANE vf vf_fnma(vf a, vf b, vf c) { KX_LANES(a.f[L_] = kx_fmaf(-a.f[L_], b.f[L_], c.f[L_])); return a; }
KX_LANE vf vf_max(vf a, vf b) { KX_LANES(a.f[L_] = a.f[L_] > b.f[L_] ? a.f[L_] : b.f[L_]); return a; }
KX_LANE vf vf_min(vf a, vf b) { KX_LANES(a.f[L_] = a.f[L_] < b.f[L_] ? a.f[L_] : b.f[L_]); return a; }
KX_LANE vf vf_and(vf a, vf b) { KX_LANES(a.f[L_] = kx_float(kx_bits(a.f[L_]) & kx_bits(b.f[L_]))); return a; }
KX_LANE vf vf_select(vf a, vf b, vf m) { KX_LANES(a.f[L_] = kx_bits(m.f[L_]) >> 31 ? b.f[L_] : a.f[L_]); return a; }
KX_LANE vf vf_ge(vf a, vf b) { KX_LANES(a.f[L_] = kx_float(a.f[L_] >= b.f[L_] ? 0xffffffffu : 0u)); return a; }
KX_LANE vf vf_lt(vf a, vf b) { KX_LANES(a.f[L_] = kx_float(a.f[L_] < b.f[L_] ? 0xffffffffu : 0u)); return a; }
KX_LANE vf vf_or(vf a, vf b) { KX_LANES(a.f[L_] = kx_float(kx_bits(a.f[L_]) | kx_bits(b.f[L_]))); return a; }
KX_LANE vf vf_abs(vf a) { KX_LANES(a.f[L_] = kx_float(kx_bits(a.f[L_]) & 0x7fffffffu)); return a; }
KX_LANE int vf_any(vf m) { int r = 0; KX_LANES(r |= (int)(kx_bits(m.f[L_]) >> 31)); return r; }

KX_LANE void vi_store(int32_t *p, vi a) { memcpy(p, a.i, sizeof a.i); }
KX_LANE vi vi_set1(int32_t a) { vi r; KX_LANES(r.i[L_] = a); return r; }
KX_LANE vi vi_add(vi a, vi b) { KX_LANES(a.i[L_] = (int32_t)((uint32_t)a.i[L_] + (uint32_t)b.i[L_])); return a; }
KX_LANE vf vi_eq(vi a, vi b) { vf r; KX_LANES(r.f[L_] = kx_float(a.i[L_] == b.i[L_] ? 0xffffffffu : 0u)); return r; }
KX_LANE vi vi_select(vi a, vi b, vf m) { KX_LANES(a.i[L_] = kx_bits(m.f[L_]) >> 31 ? b.i[L_] : a.i[L_]); return a; }
KX_LANE vi vf_to_int(vf a) { vi r; KX_LANES(r.i[L_] = (int32_t)a.f[L_]); return r; }
KX_LANE vf vi_pow2(vi a) { vf r; KX_LANES(r.f[L_] = kx_float((uint32_t)(a.i[L_] + 127) << 23)); return r; }

KX_LANE vi
vf_cell(vf x, float t0, double inv_h, double n, vf *ok, vf *u)
{
	vi m;
	long c;

	KX_LANES(c = kx_closed_cell(x.f[L_], t0, inv_h, n, &u->f[L_]);
	         m.i[L_] = c < 0 ? 0 : (int32_t)c;
	         ok->f[L_] = kx_float(c < 0 ? 0u : 0xffffffffu));
	return m;
}

#undef L_
#endif

#endif
