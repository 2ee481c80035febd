/* request.h - one REST API request document, {"x": .., "op": .., "id": ..,
 * "path": ..}, parsed from JSON text in one pass.
 *
 * Strict RFC 8259 JSON (no NaN/Infinity literals, no comments, valid UTF-8,
 * no lone surrogates). "x" goes straight into a float32 array with its
 * shape inferred as numpy.asarray would (into doubles for a float64 model) (ragged lists and mixed depths are
 * refused); other members are checked for syntax and skipped, except "id",
 * kept as its raw JSON text, and the strings "op" and "path", decoded.
 * A key repeated in an object, at any depth, is refused, as predict
 * refuses it (text.h: one rule for every JSON document kanx reads).
 * Memory: the x values (4 bytes each), the decoded strings and the keys
 * of the objects open; nothing per JSON node. */
#ifndef KX_REQUEST_H
#define KX_REQUEST_H

#include <stddef.h>

#include "text.h"

#define KX_REQ_MAXRANK 64

enum kx_x_status {
	KX_X_OK = 0,
	KX_X_NOT_LIST,     /* x is a string, object, boolean or null (API 422) */
	KX_X_NOT_NUMBER,   /* an element of x is not a number (422) */
	KX_X_RAGGED,       /* rows of different lengths, or numbers mixed with lists (400) */
	KX_X_RANGE,        /* a number beyond float32 range (400) */
	KX_X_TOO_DEEP      /* nested deeper than KX_REQ_MAXRANK (400) */
};

struct kx_req {
	/* "op": decoded; NULL when absent. op_bad: present but not a string. */
	char *op;
	int op_bad;
	/* "path": decoded; NULL when absent. path_bad: not a string;
	 * path_nul: it contains "\u0000". */
	char *path;
	int path_bad, path_nul;
	/* "id": raw JSON text, pointing into the parsed buffer; NULL if absent. */
	const char *id;
	size_t id_len;
	/* "x" */
	int has_x;
	enum kx_x_status x_status;
	char x_where[96];          /* "x[3][1]" for the first bad element, and detail */
	size_t x_where_off;        /* byte offset of that element in the buffer */
	size_t rank;               /* 0 for a bare number */
	size_t shape[KX_REQ_MAXRANK];
	float *x;                  /* row-major, prod(shape) values when x_status is OK */
	double *x64;               /* the same in double, instead of x, when f64 is set */
	size_t nx;
	/* set by the caller after kx_req_init (kx_req_free clears it):
	 * parse x into x64, as doubles (a float64 model's input); a number
	 * is then out of range only beyond the double range */
	int f64;
	/* private */
	char *opbuf, *pathbuf;
	size_t cap_x, cap_x64, cap_op, cap_path;
	int rank_known;
	int shape_set[KX_REQ_MAXRANK];
	struct kx_jkeys keys;
};

/* Zero-initialise (or use = {0}). */
void kx_req_init(struct kx_req *r);

/* Parse buf[0..len). Returns 0 when the text is one JSON object (x may
 * still be unusable: see x_status), -1 when it is not JSON or not an object,
 * with a message ("expected ':' at byte 17") in err and the byte offset of
 * the problem in *err_off. -2 when memory runs out. max_depth bounds all
 * nesting. Buffers are reused from the previous call on the same r. */
int kx_req_parse(struct kx_req *r, const char *buf, size_t len, size_t max_depth,
                 char *err, size_t errsz, size_t *err_off);

/* Release memory; r can be reused after kx_req_init. Accepts NULL. */
void kx_req_free(struct kx_req *r);

/* Write "[a, b, c]" for the shape into buf (like Python's list(arr.shape)). */
void kx_req_shape_str(const struct kx_req *r, char *buf, size_t size);

#endif
