/* weights.c - model.weights.h5 from memory (see weights.h). */
#include <hdf5.h>
#include <H5PLpublic.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kanx.h"
#include "weights.h"

void
kx_weights_init(void)
{
	static int done;

	if (done)
		return;
	H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
	H5PLset_loading_state(0);
	done = 1;
}

/* 1 if NAME exists under loc as a hard link, 0 if absent, -1 if it is a
 * soft, external or user-defined link. */
static int
hard_link(hid_t loc, const char *name)
{
	H5L_info_t info;
	htri_t ex = H5Lexists(loc, name, H5P_DEFAULT);

	if (ex <= 0)
		return 0;
	if (H5Lget_info(loc, name, &info, H5P_DEFAULT) < 0)
		return -1;
	return info.type == H5L_TYPE_HARD ? 1 : -1;
}

struct wctx {
	const char *label;
	const struct kx_limits *lim;
	struct kx_err *e;
	size_t file_len;
	size_t total;      /* float32 bytes read so far */
	int bad;
};

static void problem(struct wctx *c, const char *path, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void
problem(struct wctx *c, const char *path, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	kx_err_add(c->e, KX_EXIT_BADMODEL, "%s: %s: %s", c->label, path, msg);
	c->bad = 1;
}

static void
fmt_dims(char *buf, size_t size, const hsize_t *d, int rank)
{
	size_t o = 0;
	int i;

	o += (size_t)snprintf(buf + o, size - o, "(");
	for (i = 0; i < rank && o < size; i++)
		o += (size_t)snprintf(buf + o, size - o, "%s%llu", i ? ", " : "", (unsigned long long)d[i]);
	if (o < size)
		snprintf(buf + o, size - o, ")");
}

/* Open vars/IDX, check it is a plain float dataset of RANK dimensions,
 * store its dims. Returns the dataset id or -1 (problem recorded). */
static hid_t
open_ds(struct wctx *c, hid_t vars, const char *gpath, int idx, const char *what, int rank,
        hsize_t *dims)
{
	char name[16], path[300];
	hid_t ds, dcpl = -1, type = -1, space = -1;
	int lk, r, nf, i;

	snprintf(name, sizeof name, "%d", idx);
	snprintf(path, sizeof path, "%s/vars/%d (%s)", gpath, idx, what);
	lk = hard_link(vars, name);
	if (lk == 0) {
		problem(c, path, "missing");
		return -1;
	}
	if (lk < 0) {
		problem(c, path, "is a soft or external link; refused");
		return -1;
	}
	ds = H5Dopen2(vars, name, H5P_DEFAULT);
	if (ds < 0) {
		problem(c, path, "not a dataset");
		return -1;
	}
	dcpl = H5Dget_create_plist(ds);
	if (dcpl < 0) {
		problem(c, path, "unreadable dataset properties");
		goto fail;
	}
	if (H5Pget_layout(dcpl) == H5D_VIRTUAL) {
		problem(c, path, "virtual datasets are refused");
		goto fail;
	}
	if (H5Pget_external_count(dcpl) != 0) {
		problem(c, path, "datasets with external storage are refused");
		goto fail;
	}
	nf = H5Pget_nfilters(dcpl);
	for (i = 0; i < nf; i++) {
		unsigned flags, cd[8];
		size_t ncd = 8;
		char fname[64];
		H5Z_filter_t f = H5Pget_filter2(dcpl, (unsigned)i, &flags, &ncd, cd, sizeof fname, fname, NULL);
		if (f != H5Z_FILTER_DEFLATE && f != H5Z_FILTER_SHUFFLE) {
			problem(c, path, "filter %d is not supported (deflate and shuffle only)", (int)f);
			goto fail;
		}
	}
	type = H5Dget_type(ds);
	if (type < 0 || H5Tget_class(type) != H5T_FLOAT ||
	    (H5Tget_size(type) != 2 && H5Tget_size(type) != 4 && H5Tget_size(type) != 8)) {
		problem(c, path, "dtype must be float32 (or floats that convert to it exactly)");
		goto fail;
	}
	space = H5Dget_space(ds);
	if (space < 0 || H5Sget_simple_extent_type(space) != H5S_SIMPLE) {
		problem(c, path, "not a simple array");
		goto fail;
	}
	r = H5Sget_simple_extent_ndims(space);
	if (r != rank) {
		problem(c, path, "rank %d, expected %d", r, rank);
		goto fail;
	}
	H5Sget_simple_extent_dims(space, dims, NULL);
	H5Sclose(space);
	H5Tclose(type);
	H5Pclose(dcpl);
	return ds;
fail:
	if (space >= 0)
		H5Sclose(space);
	if (type >= 0)
		H5Tclose(type);
	if (dcpl >= 0)
		H5Pclose(dcpl);
	H5Dclose(ds);
	return -1;
}

/* Read N elements of ds (whose shape was checked) into a new float array. */
static float *
read_ds(struct wctx *c, hid_t ds, const char *gpath, int idx, const char *what, size_t n)
{
	char path[300];
	float *out = NULL;
	double *tmp = NULL;
	hid_t type = H5Dget_type(ds);
	size_t bytes, esize = type >= 0 ? H5Tget_size(type) : 0, i;
	hsize_t storage;

	snprintf(path, sizeof path, "%s/vars/%d (%s)", gpath, idx, what);
	if (kx_mul(n, sizeof(float), &bytes) != 0 || kx_add(c->total, bytes, &c->total) != 0 ||
	    c->total > c->lim->weight_bytes) {
		problem(c, path, "weights exceed the limit of %zu bytes", c->lim->weight_bytes);
		goto out;
	}
	storage = H5Dget_storage_size(ds);
	if (storage > c->file_len) {
		problem(c, path, "declares %llu bytes of storage, more than the file holds",
		        (unsigned long long)storage);
		goto out;
	}
	out = kx_mallocarray(n, sizeof *out);
	if (!out) {
		problem(c, path, "out of memory");
		goto out;
	}
	if (esize == 4) {
		if (H5Dread(ds, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, out) < 0) {
			problem(c, path, "cannot be read (corrupt data or an unsupported encoding)");
			free(out);
			out = NULL;
		}
		goto out;
	}
	tmp = kx_mallocarray(n, sizeof *tmp);
	if (!tmp || H5Dread(ds, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, tmp) < 0) {
		problem(c, path, tmp ? "cannot be read" : "out of memory");
		free(out);
		out = NULL;
		goto out;
	}
	for (i = 0; i < n; i++) {
		out[i] = (float)tmp[i];
		if ((double)out[i] != tmp[i] && !isnan(tmp[i])) {
			problem(c, path, "float%zu value %.17g at index %zu is not exactly a float32",
			        esize * 8, tmp[i], i);
			free(out);
			out = NULL;
			break;
		}
	}
out:
	free(tmp);
	if (type >= 0)
		H5Tclose(type);
	return out;
}

static size_t
count_vars(hid_t vars)
{
	H5G_info_t gi;

	if (H5Gget_info(vars, &gi) < 0)
		return 0;
	return (size_t)gi.nlinks;
}

static void
load_kan(struct wctx *c, hid_t vars, struct kx_layer *l)
{
	hsize_t d0[2], d1[3], d2[2];
	hid_t b = -1, s = -1, g = -1;
	const char *gp = l->h5_group;
	char want[64], got[64];
	size_t G, k, n;

	b = open_ds(c, vars, gp, 0, "base_weight", 2, d0);
	s = open_ds(c, vars, gp, 1, "spline_weight", 3, d1);
	g = open_ds(c, vars, gp, 2, "grid", 2, d2);
	if (b < 0 || s < 0 || g < 0)
		goto out;
	if (d0[0] != l->in || d0[1] != l->out) {
		hsize_t w[2] = { l->in, l->out };
		fmt_dims(want, sizeof want, w, 2);
		fmt_dims(got, sizeof got, d0, 2);
		problem(c, gp, "vars/0 (base_weight) has shape %s, expected %s", got, want);
		goto out;
	}
	if (d2[0] != l->in || d2[1] < 2 || d2[1] - 1 > c->lim->max_grid) {
		fmt_dims(got, sizeof got, d2, 2);
		problem(c, gp, "vars/2 (grid) has shape %s, expected (%zu, G+1) with 1 <= G <= %zu",
		        got, l->in, c->lim->max_grid);
		goto out;
	}
	G = (size_t)d2[1] - 1;
	if (d1[0] != l->in || d1[1] != l->out || d1[2] <= G || d1[2] - G > c->lim->max_order) {
		fmt_dims(got, sizeof got, d1, 3);
		problem(c, gp, "vars/1 (spline_weight) has shape %s, expected (%zu, %zu, G+k) "
		        "with G = %zu and 1 <= k <= %zu", got, l->in, l->out, G, c->lim->max_order);
		goto out;
	}
	k = (size_t)d1[2] - G;
	if (G != l->cfg_G || k != l->cfg_k) {
		problem(c, gp, "weights give grid_size %zu and spline_order %zu, but the config says %zu and %zu",
		        G, k, l->cfg_G, l->cfg_k);
		goto out;
	}
	l->G = G;
	l->k = k;
	if (kx_mul(l->in, l->out, &n) != 0 || !(l->base_w = read_ds(c, b, gp, 0, "base_weight", n)))
		goto out;
	if (kx_mul(n, G + k, &n) != 0 || !(l->spline_w = read_ds(c, s, gp, 1, "spline_weight", n)))
		goto out;
	if (kx_mul(l->in, G + 1, &n) != 0 || !(l->grid = read_ds(c, g, gp, 2, "grid", n)))
		goto out;
out:
	if (b >= 0)
		H5Dclose(b);
	if (s >= 0)
		H5Dclose(s);
	if (g >= 0)
		H5Dclose(g);
}

static void
load_dense(struct wctx *c, hid_t vars, struct kx_layer *l)
{
	hsize_t d0[2], d1[1];
	hid_t kd = -1, bd = -1;
	const char *gp = l->h5_group;
	char got[64];
	size_t n;

	kd = open_ds(c, vars, gp, 0, "kernel", 2, d0);
	if (l->use_bias)
		bd = open_ds(c, vars, gp, 1, "bias", 1, d1);
	if (kd < 0 || (l->use_bias && bd < 0))
		goto out;
	if (d0[0] != l->in || d0[1] != l->out) {
		fmt_dims(got, sizeof got, d0, 2);
		problem(c, gp, "vars/0 (kernel) has shape %s, expected (%zu, %zu)", got, l->in, l->out);
		goto out;
	}
	if (l->use_bias && d1[0] != l->out) {
		fmt_dims(got, sizeof got, d1, 1);
		problem(c, gp, "vars/1 (bias) has shape %s, expected (%zu)", got, l->out);
		goto out;
	}
	if (kx_mul(l->in, l->out, &n) != 0 || !(l->kernel = read_ds(c, kd, gp, 0, "kernel", n)))
		goto out;
	if (l->use_bias && !(l->bias = read_ds(c, bd, gp, 1, "bias", l->out)))
		goto out;
out:
	if (kd >= 0)
		H5Dclose(kd);
	if (bd >= 0)
		H5Dclose(bd);
}

static void
load_layer(struct wctx *c, hid_t layers, struct kx_layer *l)
{
	const char *gname = l->h5_group + strlen("layers/");
	size_t want = l->kind == KX_LAYER_KAN ? 3 : l->kind == KX_LAYER_DENSE ? 1 + (size_t)l->use_bias : 0;
	hid_t grp = -1, vars = -1;
	int lk;

	lk = layers >= 0 ? hard_link(layers, gname) : 0;
	if (lk < 0) {
		problem(c, l->h5_group, "is a soft or external link; refused");
		return;
	}
	if (lk == 0) {
		if (want)
			problem(c, l->h5_group, "missing: no weights for layer '%s'", l->name);
		return;
	}
	grp = H5Gopen2(layers, gname, H5P_DEFAULT);
	lk = grp >= 0 ? hard_link(grp, "vars") : 0;
	if (grp < 0 || lk <= 0) {
		if (want || lk < 0)
			problem(c, l->h5_group, lk < 0 ? "vars is a soft or external link; refused"
			                                : "no vars group for layer '%s'", l->name);
		goto out;
	}
	vars = H5Gopen2(grp, "vars", H5P_DEFAULT);
	if (vars < 0) {
		problem(c, l->h5_group, "vars is not a group");
		goto out;
	}
	if (count_vars(vars) != want) {
		problem(c, l->h5_group, "layer '%s' (%s) has %zu weights, expected %zu", l->name,
		        l->class_name, count_vars(vars), want);
		goto out;
	}
	if (l->kind == KX_LAYER_KAN)
		load_kan(c, vars, l);
	else if (l->kind == KX_LAYER_DENSE)
		load_dense(c, vars, l);
out:
	if (vars >= 0)
		H5Gclose(vars);
	if (grp >= 0)
		H5Gclose(grp);
}

int
kx_weights_load(struct kx_model *m, const char *label, const void *buf, size_t len,
                const struct kx_limits *lim, struct kx_err *e)
{
	struct wctx c = { label, lim, e, len, 0, 0 };
	hid_t fapl = -1, f = -1, layers = -1, opt, ov;
	size_t i;
	int lk;

	kx_weights_init();
	if (len < 8 || memcmp(buf, "\x89HDF\r\n\x1a\n", 8) != 0)
		return kx_err_set(e, KX_EXIT_BADMODEL, "%s: not an HDF5 file", label);
	fapl = H5Pcreate(H5P_FILE_ACCESS);
	if (fapl < 0 || H5Pset_fapl_core(fapl, 1 << 16, 0) < 0 ||
	    H5Pset_file_image(fapl, (void *)(uintptr_t)buf, len) < 0) {
		kx_err_set(e, KX_EXIT_INTERNAL, "%s: cannot set up HDF5 in memory", label);
		goto out;
	}
	f = H5Fopen("model.weights.h5", H5F_ACC_RDONLY, fapl);
	if (f < 0) {
		kx_err_set(e, KX_EXIT_BADMODEL, "%s: not a readable HDF5 file", label);
		goto out;
	}
	lk = hard_link(f, "layers");
	if (lk < 0) {
		kx_err_set(e, KX_EXIT_BADMODEL, "%s: /layers is a soft or external link; refused", label);
		goto out;
	}
	if (lk > 0 && (layers = H5Gopen2(f, "layers", H5P_DEFAULT)) < 0) {
		kx_err_set(e, KX_EXIT_BADMODEL, "%s: /layers is not a group", label);
		goto out;
	}
	for (i = 0; i < m->n_layers; i++)
		load_layer(&c, layers, &m->layers[i]);
	if (hard_link(f, "optimizer") > 0 && (opt = H5Gopen2(f, "optimizer", H5P_DEFAULT)) >= 0) {
		if (hard_link(opt, "vars") > 0 && (ov = H5Gopen2(opt, "vars", H5P_DEFAULT)) >= 0) {
			m->has_optimizer = count_vars(ov) > 0;
			H5Gclose(ov);
		}
		H5Gclose(opt);
	}
out:
	if (layers >= 0)
		H5Gclose(layers);
	if (f >= 0)
		H5Fclose(f);
	if (fapl >= 0)
		H5Pclose(fapl);
	return (c.bad || e->code) ? -1 : 0;
}
