/* weights.c - model.weights.h5 from memory (see weights.h). */
#include <errno.h>
#include <fcntl.h>
#include <hdf5.h>
#include <H5PLpublic.h>
#include <limits.h>
#include <float.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <zlib.h>

#include "check.h"
#include "dtype.h"
#include "err.h"
#include "layer.h"
#include "weights.h"

#define KX_MAX_CHUNKS ((hsize_t)1 << 20)  /* chunks of one compressed dataset */
#define KX_HDF5_SECONDS 60                 /* the isolated HDF5 reader's time limit */

static int isolate = 1;

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

/* The most specific message on HDF5's error stack, to put in ours (HDF5
 * prints nothing itself: kx_weights_init turned that off). */
static herr_t
first_error(unsigned n, const H5E_error2_t *err, void *data)
{
	char *out = data;

	if (n == 0 && err->desc && err->desc[0])
		snprintf(out, 160, "%s", err->desc);
	return 0;
}

static const char *
h5_reason(char *buf)
{
	buf[0] = '\0';
	H5Ewalk2(H5E_DEFAULT, H5E_WALK_UPWARD, first_error, buf);
	H5Eclear2(H5E_DEFAULT);
	return buf[0] ? buf : "unknown HDF5 error";
}

/* 1 if NAME exists under loc as a hard link, 0 if absent, -1 if it is a
 * soft, external or user-defined link, -2 if the link cannot be read. */
static int
hard_link(hid_t loc, const char *name)
{
	H5L_info_t info;
	htri_t ex = H5Lexists(loc, name, H5P_DEFAULT);

	if (ex == 0)
		return 0;
	if (ex < 0 || H5Lget_info(loc, name, &info, H5P_DEFAULT) < 0) {
		H5Eclear2(H5E_DEFAULT);
		return -2;
	}
	return info.type == H5L_TYPE_HARD ? 1 : -1;
}

/* What is wrong with a link hard_link() refused. */
static const char *
link_problem(int lk)
{
	return lk == -1 ? "is a soft or external link; refused" : "is an unreadable (corrupt) link";
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

/* Does the deflate stream in[n] inflate to more than cap bytes (1), or is
 * it corrupt (-1)? Inflates into a small window, keeping nothing. */
static int
inflates_past(const unsigned char *in, size_t n, size_t cap)
{
	unsigned char win[16384];
	z_stream z;
	size_t out = 0;
	int st, rc;

	if (n > UINT_MAX)
		return -1;
	memset(&z, 0, sizeof z);
	if (inflateInit(&z) != Z_OK)
		return -1;
	z.next_in = (unsigned char *)(uintptr_t)in;
	z.avail_in = (uInt)n;
	do {
		z.next_out = win;
		z.avail_out = sizeof win;
		st = inflate(&z, Z_NO_FLUSH);
		out += sizeof win - z.avail_out;
	} while (st == Z_OK && out <= cap);
	rc = out > cap ? 1 : st == Z_STREAM_END ? 0 : -1;
	inflateEnd(&z);
	return rc;
}

/* The filters kanx lets libhdf5 run: HDF5's built-in ones (no plugin is
 * ever loaded). */
static const char *
filter_name(H5Z_filter_t f)
{
	switch (f) {
	case H5Z_FILTER_DEFLATE: return "deflate";
	case H5Z_FILTER_SHUFFLE: return "shuffle";
	case H5Z_FILTER_FLETCHER32: return "fletcher32";
	case H5Z_FILTER_SZIP: return "szip";
	case H5Z_FILTER_NBIT: return "nbit";
	case H5Z_FILTER_SCALEOFFSET: return "scaleoffset";
	default: return NULL;
	}
}

#define KX_MAX_CD 32   /* filter parameters read */

/* A dataset's filter pipeline, as far as the chunk checks need it. */
struct pipeline {
	int n;
	H5Z_filter_t id[H5Z_MAX_NFILTERS];
	int comp;          /* index of the compressor (deflate or szip), or -1 */
};

/* Check the pipeline of a dataset of type TYPE (chunks of cn elements):
 * built-in filters only, each once, each one this libhdf5 can decode; at
 * most one compressor, followed by nothing but fletcher32 (so that its
 * stream is what the file stores, and check_chunks can bound it); nbit and
 * scaleoffset parameters that describe this chunk and type (libhdf5 sizes
 * their output from them). 0, or -1 with a problem recorded. */
static int
check_pipeline(struct wctx *c, hid_t dcpl, hid_t type, hsize_t cn, const char *path,
               struct pipeline *pl)
{
	size_t tsize = H5Tget_size(type);
	int i, j;

	pl->comp = -1;
	pl->n = H5Pget_nfilters(dcpl);
	if (pl->n < 0 || pl->n > H5Z_MAX_NFILTERS) {
		problem(c, path, "unreadable filter pipeline");
		return -1;
	}
	for (i = 0; i < pl->n; i++) {
		unsigned flags, cd[KX_MAX_CD], conf = 0;
		size_t ncd = KX_MAX_CD;
		char fname[64] = "";
		H5Z_filter_t f = H5Pget_filter2(dcpl, (unsigned)i, &flags, &ncd, cd, sizeof fname, fname, NULL);

		pl->id[i] = f;
		if (!filter_name(f)) {
			problem(c, path, "filter %d is not supported (%.40s; HDF5's built-in deflate, "
			        "shuffle, fletcher32, szip, nbit and scaleoffset only)", (int)f,
			        fname[0] ? fname : "unnamed");
			return -1;
		}
		if (H5Zfilter_avail(f) <= 0 || H5Zget_filter_info(f, &conf) < 0 ||
		    !(conf & H5Z_FILTER_CONFIG_DECODE_ENABLED)) {
			H5Eclear2(H5E_DEFAULT);
			problem(c, path, "filter %d (%s) is not available in this libhdf5", (int)f, filter_name(f));
			return -1;
		}
		for (j = 0; j < i; j++)
			if (pl->id[j] == f) {
				problem(c, path, "filter %d (%s) twice in one pipeline is refused", (int)f,
				        filter_name(f));
				return -1;
			}
		if (f == H5Z_FILTER_DEFLATE || f == H5Z_FILTER_SZIP) {
			if (pl->comp >= 0) {
				problem(c, path, "two compressors (%s and %s) in one pipeline are refused",
				        filter_name(pl->id[pl->comp]), filter_name(f));
				return -1;
			}
			pl->comp = i;
		} else if (pl->comp >= 0 && f != H5Z_FILTER_FLETCHER32) {
			problem(c, path, "filter %d (%s) after the compressor (%s) is refused", (int)f,
			        filter_name(f), filter_name(pl->id[pl->comp]));
			return -1;
		}
		/* nbit: [n, flag, elements, class (1 = atomic), size, order,
		 * precision, offset]; scaleoffset: [scale type, factor, elements,
		 * class (1 = float), size, ...] */
		if ((f == H5Z_FILTER_NBIT && (ncd != 8 || cd[2] != cn || cd[3] != 1 || cd[4] != tsize ||
		                              cd[6] == 0 || cd[6] > 8 * tsize || cd[7] > 8 * tsize - cd[6])) ||
		    (f == H5Z_FILTER_SCALEOFFSET && (ncd < 8 || ncd > KX_MAX_CD || cd[2] != cn ||
		                                     cd[3] != 1 || cd[4] != tsize))) {
			problem(c, path, "filter %d (%s) has parameters that do not describe this dataset's "
			        "chunks of %llu %zu-byte floats", (int)f, filter_name(f), (unsigned long long)cn, tsize);
			return -1;
		}
	}
	return 0;
}

/* Walk every chunk of a chunked dataset (the shape matched the config, so
 * the sizes are bounded): count the chunks never written, and bound what
 * libhdf5 will allocate for each stored one. Its deflate filter doubles its
 * buffer for as long as a stream runs (a few KiB of file can ask for
 * gigabytes) and its szip filter allocates what the chunk's first four
 * bytes say: each stored chunk is inflated here first, into a fixed
 * window, or its szip header read, from the same read-only image. */
static int
check_chunks(struct wctx *c, hid_t ds, hid_t dcpl, const struct pipeline *pl, int rank,
             const hsize_t *dims, size_t cbytes, const char *path, hsize_t *missing,
             hsize_t *nchunks_out)
{
	hsize_t cd[3], grid[3], off[3], nchunks = 1, i, q;
	int d, trailer = 0;

	*missing = 0;
	*nchunks_out = 0;
	if (H5Pget_chunk(dcpl, rank, cd) != rank) {
		problem(c, path, "unreadable chunk layout");
		return -1;
	}
	for (d = 0; d < rank; d++) {
		if (dims[d] == 0)
			return 0;
		grid[d] = (dims[d] + cd[d] - 1) / cd[d];
		nchunks *= grid[d];
	}
	if (nchunks > KX_MAX_CHUNKS) {
		problem(c, path, "%llu chunks, more than %llu", (unsigned long long)nchunks,
		        (unsigned long long)KX_MAX_CHUNKS);
		return -1;
	}
	*nchunks_out = nchunks;
	for (d = pl->comp + 1; pl->comp >= 0 && d < pl->n; d++)
		trailer |= pl->id[d] == H5Z_FILTER_FLETCHER32;
	for (i = 0; i < nchunks; i++) {
		unsigned mask = 0;
		uint32_t rmask = 0;
		haddr_t addr = HADDR_UNDEF;
		hsize_t size = 0;
		unsigned char *raw;
		size_t n;
		int r = 0;

		for (d = rank - 1, q = i; d >= 0; d--) {  /* chunk i's offset */
			off[d] = (q % grid[d]) * cd[d];
			q /= grid[d];
		}
		if (H5Dget_chunk_info_by_coord(ds, off, &mask, &addr, &size) < 0) {
			problem(c, path, "unreadable chunk index");
			return -1;
		}
		if (addr == HADDR_UNDEF || size == 0) {
			(*missing)++;     /* never written */
			continue;
		}
		if (pl->comp < 0 || (mask & (1u << pl->comp)))
			continue;         /* stored without compression */
		if (size > c->file_len) {
			problem(c, path, "a chunk claims %llu bytes, more than the file holds",
			        (unsigned long long)size);
			return -1;
		}
		raw = malloc((size_t)size);
		if (!raw || H5Dread_chunk(ds, H5P_DEFAULT, off, &rmask, raw) < 0) {
			problem(c, path, raw ? "a chunk cannot be read" : "out of memory");
			free(raw);
			return -1;
		}
		n = (size_t)size;
		for (d = pl->comp + 1; trailer && d < pl->n; d++)
			if (pl->id[d] == H5Z_FILTER_FLETCHER32 && !(rmask & (1u << d)))
				n = n >= 4 ? n - 4 : 0;   /* the checksum after the stream */
		if (pl->id[pl->comp] == H5Z_FILTER_DEFLATE)
			r = inflates_past(raw, n, cbytes);
		else if (n < 4 || ((uint32_t)raw[0] | (uint32_t)raw[1] << 8 | (uint32_t)raw[2] << 16 |
		                   (uint32_t)raw[3] << 24) > cbytes)
			r = 1;
		free(raw);
		if (r != 0) {
			if (r > 0)
				problem(c, path, "a compressed chunk inflates past its %zu bytes "
				        "(a compression bomb)", cbytes);
			else
				problem(c, path, "a compressed chunk is corrupt");
			return -1;
		}
	}
	return 0;
}

/* Open vars/IDX, check it is a plain float dataset of RANK dimensions,
 * store its dims. Returns the dataset id or -1 (problem recorded). */
static hid_t
open_ds(struct wctx *c, hid_t vars, const char *gpath, int idx, const char *what, int rank,
        int integer, hsize_t *dims)
{
	char name[16], path[300];
	hid_t ds, dcpl = -1, type = -1, space = -1;
	int lk, r, i;

	snprintf(name, sizeof name, "%d", idx);
	snprintf(path, sizeof path, "%s/vars/%d (%s)", gpath, idx, what);
	lk = hard_link(vars, name);
	if (lk == 0) {
		problem(c, path, "missing");
		return -1;
	}
	if (lk < 0) {
		problem(c, path, "%s", link_problem(lk));
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
	type = H5Dget_type(ds);
	if (integer ? type < 0 || H5Tget_class(type) != H5T_INTEGER || H5Tget_size(type) > 8 :
	    type < 0 || H5Tget_class(type) != H5T_FLOAT ||
	    (H5Tget_size(type) != 2 && H5Tget_size(type) != 4 && H5Tget_size(type) != 8)) {
		problem(c, path, integer ? "dtype must be an integer" :
		        "%s; a float weight needs a float dataset (float16, bfloat16, float32 or "
		        "float64)", type >= 0 && H5Tget_class(type) == H5T_INTEGER ? "an integer dataset" :
		        type >= 0 && H5Tget_class(type) == H5T_FLOAT ? "a float type kanx cannot read" :
		        "not a float dataset");
		goto fail;
	}
	space = H5Dget_space(ds);
	if (space < 0 || H5Sget_simple_extent_type(space) != (rank == 0 ? H5S_SCALAR : H5S_SIMPLE)) {
		problem(c, path, rank == 0 ? "not a scalar" : "not a simple array");
		goto fail;
	}
	r = H5Sget_simple_extent_ndims(space);
	if (r != rank) {
		problem(c, path, "rank %d, expected %d", r, rank);
		goto fail;
	}
	H5Sget_simple_extent_dims(space, dims, NULL);
	if (H5Pget_layout(dcpl) == H5D_CHUNKED) {
		/* libhdf5 allocates whole chunks (and crashes on some that are
		 * far larger than their dataset): no chunk beyond the dataset. */
		hsize_t cd[3];
		char buf[96];
		if (H5Pget_chunk(dcpl, rank, cd) != rank) {
			problem(c, path, "unreadable chunk layout");
			goto fail;
		}
		for (i = 0; i < rank; i++)
			if (cd[i] == 0 || cd[i] > (dims[i] ? dims[i] : 1)) {
				fmt_dims(buf, sizeof buf, cd, rank);
				problem(c, path, "chunk %s is larger than the dataset", buf);
				goto fail;
			}
	}
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

/* Every byte H5Dread will give must be defined by the file: its filters
 * bounded (check_pipeline, check_chunks), and storage that was never
 * written (a contiguous dataset without storage, chunks never written)
 * filled by libhdf5 with the dataset's fill value, as h5py would read it.
 * A fill time of "never" or an undefined fill value leaves those bytes to
 * whatever was in the reader's buffer: refused. 0, or -1 (problem recorded). */
static int
storage_defined(struct wctx *c, hid_t ds, hid_t type, const char *path)
{
	hid_t dcpl = H5Dget_create_plist(ds), space = H5Dget_space(ds);
	hsize_t dims[3], cd[3], cn = 1, missing = 0, total = 1, nchunks = 0;
	int rank = space >= 0 ? H5Sget_simple_extent_ndims(space) : -1, d, rc = -1;
	size_t cbytes = H5Tget_size(type);
	H5D_layout_t layout;
	H5D_space_status_t st;
	H5D_fill_time_t ft;
	H5D_fill_value_t fv;
	struct pipeline pl;

	if (dcpl < 0 || rank < 0 || rank > 3 || H5Sget_simple_extent_dims(space, dims, NULL) != rank) {
		problem(c, path, "unreadable dataset properties");
		goto out;
	}
	layout = H5Pget_layout(dcpl);
	for (d = 0; d < rank; d++)
		total *= dims[d];
	if (layout == H5D_CHUNKED) {
		if (H5Pget_chunk(dcpl, rank, cd) != rank) {
			problem(c, path, "unreadable chunk layout");
			goto out;
		}
		for (d = 0; d < rank; d++)
			cn *= cd[d];          /* chunk <= dataset, checked by open_ds */
		cbytes *= (size_t)cn;
		if (check_pipeline(c, dcpl, type, cn, path, &pl) != 0 ||
		    check_chunks(c, ds, dcpl, &pl, rank, dims, cbytes, path, &missing, &nchunks) != 0)
			goto out;
	} else if (H5Pget_nfilters(dcpl) != 0) {
		problem(c, path, "filters on a dataset that is not chunked");
		goto out;
	} else if (layout == H5D_CONTIGUOUS) {
		if (H5Dget_space_status(ds, &st) < 0) {
			problem(c, path, "unreadable storage status");
			goto out;
		}
		missing = st == H5D_SPACE_STATUS_ALLOCATED ? 0 : 1;
	}
	if (missing > 0 && total > 0) {
		if (H5Pget_fill_time(dcpl, &ft) < 0 || H5Pfill_value_defined(dcpl, &fv) < 0) {
			problem(c, path, "unreadable fill value");
			goto out;
		}
		if (ft == H5D_FILL_TIME_NEVER || fv == H5D_FILL_VALUE_UNDEFINED) {
			char what[80];
			if (layout == H5D_CHUNKED)
				snprintf(what, sizeof what, "%llu of its %llu chunks %s", (unsigned long long)missing,
				         (unsigned long long)nchunks, missing == 1 ? "was" : "were");
			else
				snprintf(what, sizeof what, "it was");
			problem(c, path, "%s never written and %s: its values are not in the file", what,
			        ft == H5D_FILL_TIME_NEVER ? "its fill time is 'never'" : "it has no fill value");
			goto out;
		}
	}
	rc = 0;
out:
	if (space >= 0)
		H5Sclose(space);
	if (dcpl >= 0)
		H5Pclose(dcpl);
	return rc;
}

/* Read N elements of ds (whose shape was checked) into a new float array,
 * for layer l: each value must be one of the dtype its policy keeps its
 * variables in (what Keras's assign would otherwise round). Under the
 * float64 policy the values are also kept as read, in *out64. */
static float *
read_ds(struct wctx *c, hid_t ds, const struct kx_layer *l, int idx, const struct kx_tensor *t,
        size_t n, double **out64)
{
	const char *what = t->name;
	char path[300];
	float *out = NULL;
	double *tmp = NULL;
	hid_t type = H5Dget_type(ds);
	size_t bytes, esize = type >= 0 ? H5Tget_size(type) : 0, i;
	/* an integer variable (a count) is read into float32 unless float64 */
	enum kx_dtype vt = t->integer && !kx_dtype_is64(l->dtype) ? KX_DT_FLOAT32 :
	                   kx_dtype_variable(l->dtype);
	hsize_t storage;

	snprintf(path, sizeof path, "%s/vars/%d (%s)", l->h5_group, idx, what);
	if (kx_mul(n, vt == KX_DT_FLOAT64 ? sizeof(float) + sizeof(double) : sizeof(float), &bytes) != 0 ||
	    kx_add(c->total, bytes, &c->total) != 0 || c->total > c->lim->weight_bytes) {
		problem(c, path, "weights exceed the limit of %zu bytes", c->lim->weight_bytes);
		goto out;
	}
	storage = H5Dget_storage_size(ds);
	if (storage > c->file_len) {
		problem(c, path, "declares %llu bytes of storage, more than the file holds",
		        (unsigned long long)storage);
		goto out;
	}
	if (type < 0 || storage_defined(c, ds, type, path) != 0)
		goto out;
	/* Prefilled with NaN (all bits set): should libhdf5 ever leave an
	 * element unwritten, the gate refuses it as NaN rather than running
	 * whatever the heap held. */
	out = kx_mallocarray(n, sizeof *out);
	if (!out) {
		problem(c, path, "out of memory");
		goto out;
	}
	memset(out, 0xff, n * sizeof *out);
	if (esize == 4 && vt == KX_DT_FLOAT32) {
		if (H5Dread(ds, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, out) < 0) {
			char why[160];
			problem(c, path, "cannot be read: %s", h5_reason(why));
			free(out);
			out = NULL;
		}
		goto out;
	}
	/* every other float type converts to double exactly (float16 and
	 * bfloat16 widen; libhdf5 converts by the bit fields the file declares) */
	tmp = kx_mallocarray(n, sizeof *tmp);
	if (tmp)
		memset(tmp, 0xff, n * sizeof *tmp);
	if (!tmp || H5Dread(ds, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, tmp) < 0) {
		char why[160];
		problem(c, path, "%s%s", tmp ? "cannot be read: " : "out of memory", tmp ? h5_reason(why) : "");
		free(out);
		out = NULL;
		goto out;
	}
	for (i = 0; i < n; i++) {
		out[i] = (float)tmp[i];
		if (vt == KX_DT_FLOAT32 && isfinite(tmp[i]) && fabs(tmp[i]) > FLT_MAX) {
			/* finite in the file, infinite in the dtype the layer
			 * computes in (a float64 layer computes with it) */
			problem(c, path, "float%zu value %.17g at index %zu is beyond the float32 range "
			        "(the layer's dtype policy '%s' keeps its variables in float32 and "
			        "computes in float32)", esize * 8, tmp[i], i, kx_dtype_name(l->dtype));
			free(out);
			out = NULL;
			break;
		}
		if (!kx_dtype_exact(tmp[i], vt)) {
			problem(c, path, "float%zu value %.17g at index %zu is not exactly a %s (the layer's "
			        "dtype policy '%s' keeps its variables in %s)", esize * 8, tmp[i], i,
			        kx_dtype_name(vt), kx_dtype_name(l->dtype), kx_dtype_name(vt));
			free(out);
			out = NULL;
			break;
		}
	}
	if (out && vt == KX_DT_FLOAT64) {
		*out64 = tmp;
		tmp = NULL;
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

/* The weights of layer l under vars: the tensors its row of the layer
 * table expects, each opened and its shape checked (by the row's shapes
 * hook, or against the config's) before any is read. */
static void
load_vars(struct wctx *c, hid_t vars, struct kx_layer *l)
{
	struct kx_tensor t[KX_MAX_TENSORS];
	size_t nt = l->ops->tensors(l, t), dims[KX_MAX_TENSORS][KX_MAX_RANK], i, n;
	hsize_t hd[KX_MAX_TENSORS][KX_MAX_RANK];
	hid_t ds[KX_MAX_TENSORS];
	const char *gp = l->h5_group;
	char msg[512], where[300], want[64], got[64];
	int ok = 1, d;

	for (i = 0; i < nt; i++) {
		ds[i] = open_ds(c, vars, gp, (int)i, t[i].name, t[i].rank, t[i].integer, hd[i]);
		if (ds[i] < 0)
			ok = 0;
		for (d = 0; d < t[i].rank && ds[i] >= 0; d++)
			dims[i][d] = (size_t)hd[i][d] == hd[i][d] ? (size_t)hd[i][d] : SIZE_MAX;
	}
	if (!ok)
		goto out;
	/* a layer whose config names no dtype policy, with every float weight
	 * float64: built under the float64 global policy
	 * (keras.config.set_dtype_policy), so it is float64, as Keras reloaded
	 * under that policy computes it. Some float64 and some not: no policy
	 * writes that; the layer keeps its policy (and float64 values that
	 * are not float32 are refused). */
	if (l->dtype_implicit && !kx_dtype_is64(l->dtype)) {
		size_t n64 = 0, nf = 0;
		for (i = 0; i < nt; i++) {
			hid_t type = t[i].integer ? -1 : H5Dget_type(ds[i]);
			if (type < 0)
				continue;
			nf++;
			n64 += H5Tget_class(type) == H5T_FLOAT && H5Tget_size(type) == 8;
			H5Tclose(type);
		}
		if (nf > 0 && n64 == nf)
			l->dtype = KX_DT_FLOAT64;
	}
	if (l->ops->shapes) {
		if (l->ops->shapes(l, (const size_t (*)[KX_MAX_RANK])dims, c->lim, msg, sizeof msg) != 0) {
			problem(c, gp, "%s", msg);
			goto out;
		}
	} else {
		for (i = 0; i < nt; i++)
			if (memcmp(dims[i], t[i].dims, (size_t)t[i].rank * sizeof dims[i][0]) != 0) {
				kx_fmt_dims(want, sizeof want, t[i].dims, t[i].rank);
				kx_fmt_dims(got, sizeof got, dims[i], t[i].rank);
				problem(c, gp, "vars/%zu (%s) has shape %s, expected %s", i, t[i].name, got, want);
				goto out;
			}
	}
	for (i = 0; i < nt; i++) {
		for (n = 1, d = 0; d < t[i].rank; d++)
			if (kx_mul(n, t[i].dims[d], &n) != 0)
				goto out;
		if (!(*t[i].dst = read_ds(c, ds[i], l, (int)i, &t[i], n, &l->w64[i])))
			goto out;
	}
	if (l->ops->loaded && l->ops->loaded(l, where, sizeof where, msg, sizeof msg) != 0)
		problem(c, where, "%s", msg);
out:
	for (i = 0; i < nt; i++)
		if (ds[i] >= 0)
			H5Dclose(ds[i]);
}

/* The group at path under loc ("a/layers/b": a nested model's layer),
 * one name at a time, each a hard link: >= 0 (close it), or -1 when a
 * name is absent (*lk 0), is a link kanx does not follow (*lk < 0), or
 * is not a group (*lk 1). */
static hid_t
open_group_path(hid_t loc, const char *path, int *lk)
{
	char name[256];
	const char *p = path, *q;
	hid_t g = loc, next;

	*lk = 0;
	for (; *p; p = *q ? q + 1 : q) {
		size_t len;
		q = strchr(p, '/');
		q = q ? q : p + strlen(p);
		len = (size_t)(q - p);
		if (len == 0 || len >= sizeof name)
			goto fail;
		memcpy(name, p, len);
		name[len] = '\0';
		if ((*lk = hard_link(g, name)) <= 0)
			goto fail;
		next = H5Gopen2(g, name, H5P_DEFAULT);
		if (g != loc)
			H5Gclose(g);
		g = next;
		if (g < 0)
			return -1;
	}
	return g == loc ? H5Gopen2(loc, ".", H5P_DEFAULT) : g;
fail:
	if (g != loc)
		H5Gclose(g);
	return -1;
}

#define KX_COUNT_LINKS 4096   /* links a shapes_only layer's group may hold, at any depth */
#define KX_COUNT_DEPTH 16     /* groups in groups under it (sublayers' weights) */

/* The elements of every dataset under group g (path: for messages), at
 * any depth: the shapes only, never a value. Each link a hard one; *links
 * counts them against KX_COUNT_LINKS. 0, or -1 with a problem recorded. */
static int
count_group(struct wctx *c, hid_t g, const char *path, int depth, size_t *n, size_t *links)
{
	H5G_info_t gi;
	hsize_t i;

	if (depth > KX_COUNT_DEPTH) {
		problem(c, path, "groups nested more than %d deep", KX_COUNT_DEPTH);
		return -1;
	}
	if (H5Gget_info(g, &gi) < 0) {
		problem(c, path, "unreadable group");
		return -1;
	}
	for (i = 0; i < gi.nlinks; i++) {
		char name[256], sub[600];
		hsize_t dims[H5S_MAX_RANK];
		ssize_t len;
		hid_t o, sp;
		size_t p;
		int lk, r, d, rc = 0;

		if (++*links > KX_COUNT_LINKS) {
			problem(c, path, "more than %d links under the layer's group", KX_COUNT_LINKS);
			return -1;
		}
		len = H5Lget_name_by_idx(g, ".", H5_INDEX_NAME, H5_ITER_INC, i, name, sizeof name, H5P_DEFAULT);
		if (len < 0 || (size_t)len >= sizeof name) {
			H5Eclear2(H5E_DEFAULT);
			problem(c, path, "a link name is unreadable or longer than %zu bytes", sizeof name - 1);
			return -1;
		}
		snprintf(sub, sizeof sub, "%s/%s", path, name);
		if ((lk = hard_link(g, name)) <= 0) {
			problem(c, sub, "%s", lk < 0 ? link_problem(lk) : "vanished");
			return -1;
		}
		if ((o = H5Oopen(g, name, H5P_DEFAULT)) < 0) {
			H5Eclear2(H5E_DEFAULT);
			problem(c, sub, "unreadable object");
			return -1;
		}
		if (H5Iget_type(o) == H5I_GROUP) {
			rc = count_group(c, o, sub, depth + 1, n, links);
		} else if (H5Iget_type(o) == H5I_DATASET) {
			sp = H5Dget_space(o);
			r = sp >= 0 ? H5Sget_simple_extent_ndims(sp) : -1;
			if (r < 0 || r > H5S_MAX_RANK || H5Sget_simple_extent_dims(sp, dims, NULL) != r) {
				problem(c, sub, "unreadable shape");
				rc = -1;
			}
			for (p = 1, d = 0; rc == 0 && d < r; d++)
				if ((size_t)dims[d] != dims[d] || kx_mul(p, (size_t)dims[d], &p) != 0) {
					problem(c, sub, "a shape whose size overflows");
					rc = -1;
				}
			if (rc == 0 && H5Sget_simple_extent_type(sp) == H5S_NULL)
				p = 0;
			if (rc == 0 && kx_add(*n, p, n) != 0) {
				problem(c, sub, "the sizes overflow");
				rc = -1;
			}
			if (sp >= 0)
				H5Sclose(sp);
		}
		H5Oclose(o);
		if (rc != 0)
			return -1;
	}
	return 0;
}

/* A shapes_only layer: the elements of the weights under its group
 * (absent: none), into l->file_params. */
static void
count_layer(struct wctx *c, hid_t layers, struct kx_layer *l)
{
	hid_t grp = -1;
	size_t links = 0, n = 0;
	int lk = 0;

	l->file_params = 0;
	if (layers >= 0)
		grp = open_group_path(layers, l->h5_group + strlen("layers/"), &lk);
	if (lk < 0) {
		problem(c, l->h5_group, "%s", link_problem(lk));
		return;
	}
	if (grp < 0) {
		if (lk)
			problem(c, l->h5_group, "not a group");
		return;
	}
	if (count_group(c, grp, l->h5_group, 0, &n, &links) == 0)
		l->file_params = n;
	H5Gclose(grp);
}

static void
load_layer(struct wctx *c, hid_t layers, struct kx_layer *l)
{
	const char *gname = l->h5_group + strlen("layers/");
	struct kx_tensor t[KX_MAX_TENSORS];
	size_t want = l->ops->tensors && !l->shapes_only ? l->ops->tensors(l, t) : 0;
	hid_t grp = -1, vars = -1;
	int lk = 0;

	if (l->shapes_only) {
		count_layer(c, layers, l);
		return;
	}
	if (layers >= 0)
		grp = open_group_path(layers, gname, &lk);
	if (lk < 0) {
		problem(c, l->h5_group, "%s", link_problem(lk));
		return;
	}
	if (grp < 0) {
		if (want)
			problem(c, l->h5_group, lk ? "no vars group for layer '%s'" :
			        "missing: no weights for layer '%s'", l->name);
		return;
	}
	lk = hard_link(grp, "vars");
	if (lk <= 0) {
		if (lk < 0)
			problem(c, l->h5_group, "vars %s", link_problem(lk));
		else if (want)
			problem(c, l->h5_group, "no vars group for layer '%s'", l->name);
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
	if (want)
		load_vars(c, vars, l);
out:
	if (vars >= 0)
		H5Gclose(vars);
	if (grp >= 0)
		H5Gclose(grp);
}

/* Is there an HDF5 superblock signature where libhdf5 looks for one: at
 * offset 0, or after a user block, at 512, 1024, 2048, ... bytes? */
static int
hdf5_signature(const unsigned char *buf, size_t len)
{
	size_t off;

	for (off = 0; off <= len && len - off >= 8; off = off ? off * 2 : 512)
		if (memcmp(buf + off, "\x89HDF\r\n\x1a\n", 8) == 0)
			return 1;
	return 0;
}

/* The whole read, in this process. */
static int
load_here(struct kx_model *m, const char *label, const void *buf, size_t len,
          const struct kx_limits *lim, struct kx_err *e)
{
	struct wctx c = { label, lim, e, len, 0, 0 };
	hid_t fapl = -1, f = -1, layers = -1, opt, ov;
	size_t i;
	int lk;

	kx_weights_init();
	if (!hdf5_signature(buf, len))
		return kx_err_set(e, KX_EXIT_BADMODEL, "%s: not an HDF5 file", label);
	fapl = H5Pcreate(H5P_FILE_ACCESS);
	if (fapl < 0 || H5Pset_fapl_core(fapl, 1 << 16, 0) < 0 ||
	    H5Pset_file_image(fapl, (void *)(uintptr_t)buf, len) < 0) {
		kx_err_set(e, KX_EXIT_INTERNAL, "%s: cannot set up HDF5 in memory", label);
		goto out;
	}
	/* The core driver opens a file image only when open(2) of the name
	 * fails ("file already exists" otherwise, and a FIFO of that name
	 * would block): a name under /dev/null, which is no directory, can
	 * never be opened, whatever the current directory holds. */
	f = H5Fopen("/dev/null/model.weights.h5", H5F_ACC_RDONLY, fapl);
	if (f < 0) {
		char why[160];
		kx_err_set(e, KX_EXIT_BADMODEL, "%s: not a readable HDF5 file (%s)", label, h5_reason(why));
		goto out;
	}
	lk = hard_link(f, "layers");
	if (lk < 0) {
		kx_err_set(e, KX_EXIT_BADMODEL, "%s: /layers %s", label, link_problem(lk));
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

/* ---- isolation: libhdf5 in a child process -------------------------------
 *
 * libhdf5 1.10.8 still crashes on some corrupt metadata (fuzzing found a
 * NULL write in its local-heap code reached from H5Lexists), which no
 * check of ours can see coming. So the file is read in a forked child
 * under a time limit; the child sends back the outcome and, on success,
 * every weight array, whose sizes the parent already knows from the
 * config. A crash or a hang becomes an ordinary refusal. */

struct reply {
	int32_t rc, code, has_optimizer;
	uint32_t msg_len;
};

static int
write_all(int fd, const void *p, size_t n)
{
	const char *c = p;

	while (n > 0) {
		ssize_t w = write(fd, c, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		c += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Read n bytes from the reader's pipe by the deadline: 0, -1 at the end
 * of the stream or on an error, -2 when the deadline passed. */
static int
read_all(int fd, void *p, size_t n, const struct timespec *deadline)
{
	char *c = p;

	while (n > 0) {
		struct pollfd pf = { fd, POLLIN, 0 };
		struct timespec now;
		long long ms;
		ssize_t r;

		clock_gettime(CLOCK_MONOTONIC, &now);
		ms = (long long)(deadline->tv_sec - now.tv_sec) * 1000 + (deadline->tv_nsec - now.tv_nsec) / 1000000;
		if (ms <= 0)
			return -2;
		r = poll(&pf, 1, ms > 1000000 ? 1000000 : (int)ms);
		if (r == 0 || (r < 0 && errno == EINTR))
			continue;
		if (r < 0)
			return -1;
		r = read(fd, c, n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		c += r;
		n -= (size_t)r;
	}
	return 0;
}

/* The arrays of layer l in the order they travel (ptr[j] points at the
 * layer's field), with their lengths in floats: sizes from the config,
 * whose product the spec bounded; the child checked the shapes match. */
static size_t
layer_arrays(struct kx_layer *l, float **ptr[KX_MAX_TENSORS], size_t n[KX_MAX_TENSORS])
{
	struct kx_tensor t[KX_MAX_TENSORS];
	size_t nt = l->ops->tensors && !l->shapes_only ? l->ops->tensors(l, t) : 0, i;
	int d;

	for (i = 0; i < nt; i++) {
		ptr[i] = t[i].dst;
		for (n[i] = 1, d = 0; d < t[i].rank; d++)
			n[i] *= t[i].dims[d];
	}
	return nt;
}

static void
child(int fd, struct kx_model *m, const char *label, const void *buf, size_t len,
      const struct kx_limits *lim, struct kx_err *e)
{
	struct reply r;
	float **ptr[KX_MAX_TENSORS];
	size_t i, j, k, n[KX_MAX_TENSORS];

	/* whatever signal state kanx inherited: the time limit must fire,
	 * and a dead parent end its child */
	{
		struct sigaction dfl;
		sigset_t none;
		memset(&dfl, 0, sizeof dfl);
		dfl.sa_handler = SIG_DFL;
		sigemptyset(&dfl.sa_mask);
		sigaction(SIGALRM, &dfl, NULL);
		sigaction(SIGPIPE, &dfl, NULL);
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
	}
	alarm(KX_HDF5_SECONDS);
	r.rc = load_here(m, label, buf, len, lim, e);
	for (i = 0; r.rc == 0 && i < m->n_layers; i++) {
		struct kx_layer *l = &m->layers[i];
		k = layer_arrays(l, ptr, n);
		for (j = 0; j < k && r.rc == 0; j++)
			if (!*ptr[j] || (kx_dtype_is64(l->dtype) && !l->w64[j]))
				r.rc = kx_err_set(e, KX_EXIT_INTERNAL, "%s: layer '%s': weights do not match "
				                  "the config after loading", label, l->name);
	}
	r.code = e->code;
	r.has_optimizer = m->has_optimizer;
	r.msg_len = (uint32_t)strlen(e->msg);
	if (write_all(fd, &r, sizeof r) != 0 || write_all(fd, e->msg, r.msg_len) != 0)
		_exit(1);
	/* the policies the weights settled (dtype_implicit), before the arrays */
	for (i = 0; r.rc == 0 && i < m->n_layers; i++)
		if (write_all(fd, &m->layers[i].dtype, 1) != 0)
			_exit(1);
	/* the weights counted of the layers none are read of (inspect) */
	for (i = 0; r.rc == 0 && i < m->n_layers; i++)
		if (m->layers[i].shapes_only &&
		    write_all(fd, &m->layers[i].file_params, sizeof m->layers[i].file_params) != 0)
			_exit(1);
	for (i = 0; r.rc == 0 && i < m->n_layers; i++) {
		k = layer_arrays(&m->layers[i], ptr, n);
		for (j = 0; j < k; j++)
			if (write_all(fd, *ptr[j], n[j] * sizeof(float)) != 0 ||
			    (kx_dtype_is64(m->layers[i].dtype) &&
			     write_all(fd, m->layers[i].w64[j], n[j] * sizeof(double)) != 0))
				_exit(1);
	}
	_exit(0);
}

/* libhdf5 in a child process; fails closed: when the child cannot be
 * started, the file is not read in this process either (exit class
 * KX_EXIT_INTERNAL: the environment, not the file, is at fault; a retry
 * with more descriptors or processes may succeed). The child's exit is
 * collected whatever SIGCHLD disposition kanx inherited (ignored, its
 * children would be reaped unseen), and a child that ends without its
 * answer is a crash of the reader (KX_EXIT_BADMODEL). */
static int
load_isolated(struct kx_model *m, const char *label, const void *buf, size_t len,
              const struct kx_limits *lim, struct kx_err *e)
{
	struct sigaction dfl, old_chld;
	struct timespec deadline;
	struct reply r;
	float **ptr[KX_MAX_TENSORS];
	size_t i, j, k, n[KX_MAX_TENSORS];
	int fd[2], st = 0, got = -1, rd = 0;
	pid_t pid, w;

	if (pipe(fd) != 0)
		return kx_err_set(e, KX_EXIT_INTERNAL, "%s: cannot start the isolated HDF5 reader (pipe: %s); "
		                  "the file is not read in-process", label, strerror(errno));
	fcntl(fd[0], F_SETFD, FD_CLOEXEC);   /* not inherited by anything kanx runs */
	fcntl(fd[1], F_SETFD, FD_CLOEXEC);
	memset(&dfl, 0, sizeof dfl);
	dfl.sa_handler = SIG_DFL;
	sigemptyset(&dfl.sa_mask);
	sigaction(SIGCHLD, &dfl, &old_chld);
	pid = fork();
	if (pid < 0) {
		int err = errno;
		sigaction(SIGCHLD, &old_chld, NULL);
		close(fd[0]);
		close(fd[1]);
		return kx_err_set(e, KX_EXIT_INTERNAL, "%s: cannot start the isolated HDF5 reader (fork: %s); "
		                  "the file is not read in-process", label, strerror(err));
	}
	if (pid == 0) {
		close(fd[0]);
		child(fd[1], m, label, buf, len, lim, e);
	}
	close(fd[1]);
	clock_gettime(CLOCK_MONOTONIC, &deadline);
	deadline.tv_sec += KX_HDF5_SECONDS + 5;   /* the child's own alarm fires first */
	if ((rd = read_all(fd[0], &r, sizeof r, &deadline)) == 0 && r.msg_len < sizeof e->msg &&
	    (rd = read_all(fd[0], e->msg, r.msg_len, &deadline)) == 0) {
		e->msg[r.msg_len] = '\0';
		e->code = r.code;
		got = r.rc ? 1 : 0;
		m->has_optimizer = r.has_optimizer;
		for (i = 0; got == 0 && i < m->n_layers; i++) {
			unsigned char dt;
			if ((rd = read_all(fd[0], &dt, 1, &deadline)) != 0 ||
			    (dt != m->layers[i].dtype && !(m->layers[i].dtype_implicit && kx_dtype_is64(dt))))
				got = -1;
			else
				m->layers[i].dtype = dt;
		}
		for (i = 0; got == 0 && i < m->n_layers; i++)
			if (m->layers[i].shapes_only &&
			    (rd = read_all(fd[0], &m->layers[i].file_params, sizeof m->layers[i].file_params,
			                   &deadline)) != 0)
				got = -1;
		for (i = 0; got == 0 && i < m->n_layers; i++) {
			struct kx_layer *l = &m->layers[i];
			k = layer_arrays(l, ptr, n);
			for (j = 0; j < k && got == 0; j++) {
				*ptr[j] = kx_mallocarray(n[j] ? n[j] : 1, sizeof(float));
				if (!*ptr[j] || (rd = read_all(fd[0], *ptr[j], n[j] * sizeof(float), &deadline)) != 0)
					got = -1;
				else if (kx_dtype_is64(l->dtype) &&
				         (!(l->w64[j] = kx_mallocarray(n[j] ? n[j] : 1, sizeof(double))) ||
				          (rd = read_all(fd[0], l->w64[j], n[j] * sizeof(double), &deadline)) != 0))
					got = -1;
			}
		}
	}
	close(fd[0]);
	if (rd == -2)
		kill(pid, SIGKILL);
	while ((w = waitpid(pid, &st, 0)) < 0 && errno == EINTR)
		;
	sigaction(SIGCHLD, &old_chld, NULL);
	if (rd == -2 || (w == pid && WIFSIGNALED(st) && WTERMSIG(st) == SIGALRM))
		return kx_err_set(e, KX_EXIT_BADMODEL, "%s: libhdf5 took more than %d s to read the file; "
		                  "refused", label, KX_HDF5_SECONDS);
	if (w == pid && WIFSIGNALED(st))
		return kx_err_set(e, KX_EXIT_BADMODEL, "%s: libhdf5 crashed reading the file (signal %d): "
		                  "it is corrupt or hostile", label, WTERMSIG(st));
	if (got < 0)
		return kx_err_set(e, KX_EXIT_BADMODEL, "%s: the HDF5 reader ended without its answer (%s): "
		                  "the file is corrupt or hostile", label, w != pid ? "its exit status was lost" :
		                  WIFEXITED(st) ? "exit status not 0" : "stopped");
	return got ? -1 : 0;
}

void
kx_weights_isolate(int on)
{
	isolate = on;
}

int
kx_weights_load(struct kx_model *m, const char *label, const void *buf, size_t len,
                const struct kx_limits *lim, struct kx_err *e)
{
	if (!isolate)
		return load_here(m, label, buf, len, lim, e);
	return load_isolated(m, label, buf, len, lim, e);
}
