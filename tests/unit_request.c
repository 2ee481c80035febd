/* tests/unit_request.c - unit tests: serve-stdin's request documents
 * (request.c). */
#include <string.h>

#include "request.h"
#include "unit.h"

static int
req(struct kx_req *r, const char *s)
{
	char err[200];
	size_t off;

	return kx_req_parse(r, s, strlen(s), 64, err, sizeof err, &off);
}

void
test_request(void)
{
	struct kx_req r;
	char shape[64], deep[300];
	size_t i;

	kx_req_init(&r);
	CHECK(req(&r, "{\"x\": [[1, 2.5], [-3e2, 0.1]], \"id\": [1, {\"a\": 2}], \"op\": \"predict\"}") == 0);
	CHECK(r.has_x && r.x_status == KX_X_OK && r.rank == 2 && r.shape[0] == 2 && r.shape[1] == 2);
	CHECK(r.nx == 4 && r.x[0] == 1.0f && r.x[1] == 2.5f && r.x[2] == -300.0f && r.x[3] == 0.1f);
	CHECK(r.id_len == strlen("[1, {\"a\": 2}]") && memcmp(r.id, "[1, {\"a\": 2}]", r.id_len) == 0);
	CHECK(r.op && strcmp(r.op, "predict") == 0);

	CHECK(req(&r, " {\"x\":[0.5,-0]} ") == 0 && r.rank == 1 && r.shape[0] == 2 && r.op == NULL && r.id == NULL);
	CHECK(req(&r, "{\"x\": 3}") == 0 && r.x_status == KX_X_OK && r.rank == 0 && r.nx == 1);
	kx_req_shape_str(&r, shape, sizeof shape);
	CHECK(strcmp(shape, "[]") == 0);
	CHECK(req(&r, "{\"x\": []}") == 0 && r.rank == 1 && r.shape[0] == 0);
	CHECK(req(&r, "{\"x\": [[]]}") == 0 && r.rank == 2 && r.shape[0] == 1 && r.shape[1] == 0);
	CHECK(req(&r, "{\"x\": [[[1], [2]]]}") == 0 && r.rank == 3);
	kx_req_shape_str(&r, shape, sizeof shape);
	CHECK(strcmp(shape, "[1, 2, 1]") == 0);

	/* numpy would refuse these shapes */
	CHECK(req(&r, "{\"x\": [[1, 2], [3]]}") == 0 && r.x_status == KX_X_RAGGED &&
	      strcmp(r.x_where, "x[1] has 1 elements where x[0] has 2") == 0);
	CHECK(req(&r, "{\"x\": [1, [2]]}") == 0 && r.x_status == KX_X_RAGGED);
	CHECK(req(&r, "{\"x\": [[1], 2]}") == 0 && r.x_status == KX_X_RAGGED);
	CHECK(req(&r, "{\"x\": [[], [1]]}") == 0 && r.x_status == KX_X_RAGGED);
	/* and these are not numbers */
	CHECK(req(&r, "{\"x\": [1, \"2\"]}") == 0 && r.x_status == KX_X_NOT_NUMBER && strcmp(r.x_where, "x[1] is not a number") == 0);
	CHECK(req(&r, "{\"x\": [[1, true]]}") == 0 && r.x_status == KX_X_NOT_NUMBER);
	CHECK(req(&r, "{\"x\": null}") == 0 && r.x_status == KX_X_NOT_LIST);
	CHECK(req(&r, "{\"x\": [1e39]}") == 0 && r.x_status == KX_X_RANGE);
	CHECK(req(&r, "{\"x\": [1e-40]}") == 0 && r.x_status == KX_X_OK);  /* subnormal */

	/* strings: escapes, surrogate pairs, UTF-8 */
	CHECK(req(&r, "{\"op\": \"hea\\u006cth\"}") == 0 && strcmp(r.op, "health") == 0);
	CHECK(req(&r, "{\"path\": \"a\\ud83d\\ude00b\"}") == 0 && strcmp(r.path, "a\xF0\x9F\x98\x80" "b") == 0);
	CHECK(req(&r, "{\"path\": \"caf\xC3\xA9\"}") == 0 && strcmp(r.path, "caf\xC3\xA9") == 0);
	CHECK(req(&r, "{\"path\": \"a\\u0000b\"}") == 0 && r.path_nul);
	CHECK(req(&r, "{\"path\": 5}") == 0 && r.path_bad && r.path == NULL);
	CHECK(req(&r, "{\"path\": \"\\ud800\"}") == -1);
	CHECK(req(&r, "{\"path\": \"\xC0\xAF\"}") == -1);      /* overlong */
	CHECK(req(&r, "{\"path\": \"\xED\xA0\x80\"}") == -1);  /* a surrogate in UTF-8 */
	CHECK(req(&r, "{\"path\": \"a\tb\"}") == -1);          /* raw control character */
	CHECK(req(&r, "{\"path\": \"\\x\"}") == -1);

	/* a repeated key is refused, at the repeat, at any depth, as predict
	 * refuses it (text.h); the same key in two objects is none */
	{
		char err[200];
		size_t off;
		const char *d1 = "{\"x\": [1], \"x\": [2, 3]}", *d2 = "{\"x\": [1], \"id\": {\"a\": 1, \"\\u0061\": 2}}";
		CHECK(kx_req_parse(&r, d1, strlen(d1), 64, err, sizeof err, &off) == -1 && off == 11 &&
		      strcmp(err, "Duplicate key \"x\"") == 0);
		CHECK(kx_req_parse(&r, d2, strlen(d2), 64, err, sizeof err, &off) == -1 && off == 26 &&
		      strcmp(err, "Duplicate key \"a\"") == 0);
	}
	CHECK(req(&r, "{\"op\": \"a\", \"op\": \"b\"}") == -1);
	CHECK(req(&r, "{\"x\": [1], \"id\": {\"x\": 1}, \"m\": [{\"k\": 1}, {\"k\": 2}]}") == 0 && r.nx == 1);

	/* strict JSON */
	CHECK(req(&r, "{\"x\": [01]}") == -1);
	CHECK(req(&r, "{\"x\": [1.]}") == -1);
	CHECK(req(&r, "{\"x\": [.5]}") == -1);
	CHECK(req(&r, "{\"x\": [+1]}") == -1);
	CHECK(req(&r, "{\"x\": [1,]}") == -1);
	CHECK(req(&r, "{\"x\": [NaN]}") == -1);
	CHECK(req(&r, "{\"x\": [Infinity]}") == -1);
	CHECK(req(&r, "{\"x\": [1]} x") == -1);
	CHECK(req(&r, "{\"x\": [1]}{}") == -1);
	CHECK(req(&r, "{x: 1}") == -1);
	CHECK(req(&r, "[1]") == -1);
	CHECK(req(&r, "") == -1);
	CHECK(req(&r, "{\"id\": tru}") == -1);
	CHECK(req(&r, "{\"id\": {\"a\" 1}}") == -1);

	/* nesting is bounded everywhere, in x and elsewhere */
	for (i = 0; i < 100; i++)
		deep[i] = '[';
	deep[i] = '\0';
	{
		char doc[400];
		snprintf(doc, sizeof doc, "{\"id\": %s}", deep);
		CHECK(req(&r, doc) == -1);
		snprintf(doc, sizeof doc, "{\"x\": %s}", deep);
		CHECK(req(&r, doc) == -1);
	}
	kx_req_free(&r);
}
