/* tests/unit_yamlcfg.c - unit tests: kanx YAML configs (yamlcfg.c). */
#include <string.h>

#include "kxlimits.h"
#include "yamlcfg.h"
#include "unit.h"

static struct kx_kancfg *
cfg(const char *text, struct kx_diags *d)
{
	struct kx_limits lim;
	struct kx_kancfg *c = NULL;
	struct kx_err e;
	const char *msg;

	kx_limits_init(&lim, &msg);
	kx_diags_free(d);
	kx_err_clear(&e);
	if (kx_kancfg_read_mem("t.yaml", text, strlen(text), &lim, &c, d, &e) != 0)
		return NULL;
	return c;
}

static int
first_msg(const struct kx_diags *d, unsigned long line, unsigned long col, const char *msg)
{
	return d->n > 0 && d->v[0].line == line && d->v[0].col == col && strcmp(d->v[0].msg, msg) == 0;
}

void
test_yamlcfg(void)
{
	struct kx_diags d;
	struct kx_kancfg *c;

	kx_diags_init(&d);
	c = cfg("model:\n  layers: [3, 16, 2]\n", &d);
	CHECK(c && d.n == 0);
	CHECK(c && c->n_layers == 3 && c->layers[0] == 3 && c->layers[1] == 16 && c->layers[2] == 2);
	/* the library's defaults */
	CHECK(c && c->grid_size == 5 && c->spline_order == 3 && c->act.kind == KX_ACT_SILU &&
	      c->grid_range[0] == -1.0 && c->grid_range[1] == 1.0);
	CHECK(c && c->lr == 1e-3 && c->epochs == 50 && c->batch_size == 32 && c->val_split == 0.0 &&
	      c->seed == 42 && c->save_best_only == 1 && strcmp(c->ckpt_filename, "kanx_model.keras") == 0);
	CHECK(c && c->at_layers.line == 2 && c->at_layers.col == 11 && !c->at_layers.dflt && c->at_grid_size.dflt);
	kx_kancfg_free(c);

	c = cfg("model:\n  layers: [2, 1]\n  grid_size: 0x0A\n  spline_order: '2'\n  base_activation: swish\n"
	        "  grid_range: [-2, 3.5]\ntraining: {lr: 1e-2, epochs: 1_0, val_split: .5, seed: -7}\n"
	        "checkpoint: {save_best_only: off}\n", &d);
	CHECK(c && d.n == 0);
	CHECK(c && c->grid_size == 10 && c->spline_order == 2 && c->act.kind == KX_ACT_SILU &&
	      c->grid_range[0] == -2.0 && c->grid_range[1] == 3.5);
	CHECK(c && c->lr == 1e-2 && c->epochs == 10 && c->val_split == 0.5 && c->seed == -7 && c->save_best_only == 0);
	kx_kancfg_free(c);

	/* Python's repr in "got ..." */
	c = cfg("model:\n  layers: [2, 1.0e-5]\n", &d);
	CHECK(c == NULL && first_msg(&d, 2, 15, "model.layers entries must be positive ints, got 1e-05"));
	c = cfg("model:\n  layers: [2, 1.0e+16]\n", &d);
	CHECK(c == NULL && first_msg(&d, 2, 15, "model.layers entries must be positive ints, got 1e+16"));
	c = cfg("model:\n  layers: [2, 123456789.0]\n", &d);
	CHECK(c == NULL && first_msg(&d, 2, 15, "model.layers entries must be positive ints, got 123456789.0"));
	c = cfg("model:\n  layers: [2, ~, \"it's\", [1], {a: b}, no]\n", &d);
	CHECK(c == NULL && d.errors == 5);
	CHECK(d.n == 5 && strcmp(d.v[0].msg, "model.layers entries must be positive ints, got None") == 0 &&
	      strcmp(d.v[1].msg, "model.layers entries must be positive ints, got \"it's\"") == 0 &&
	      strcmp(d.v[2].msg, "model.layers entries must be positive ints, got [1]") == 0 &&
	      strcmp(d.v[3].msg, "model.layers entries must be positive ints, got {'a': 'b'}") == 0 &&
	      strcmp(d.v[4].msg, "model.layers entries must be positive ints, got False") == 0);

	/* int() and float() as Python does them */
	c = cfg("model:\n  layers: [2, 1]\n  grid_size: ~\n", &d);
	CHECK(c == NULL && first_msg(&d, 3, 14, "model.grid_size: int() argument must be a string, a bytes-like object "
	                             "or a real number, not 'NoneType'"));
	c = cfg("model:\n  layers: [2, 1]\ntraining:\n  lr: abc\n", &d);
	CHECK(c == NULL && first_msg(&d, 4, 7, "training.lr: could not convert string to float: 'abc'"));
	c = cfg("model:\n  layers: [2, 1]\n  spline_order: .inf\n", &d);
	CHECK(c == NULL && first_msg(&d, 3, 17, "model.spline_order: cannot convert float infinity to integer"));

	/* syntax errors carry libyaml's position */
	c = cfg("model: [1, 2\n", &d);
	CHECK(c == NULL && d.n == 1 && d.v[0].line == 2 && d.v[0].col == 1);
	c = cfg("model:\n\tlayers: [2, 1]\n", &d);   /* a tab cannot indent */
	CHECK(c == NULL && d.n == 1 && d.v[0].line == 2);

	/* a recursive alias is refused, not followed forever */
	c = cfg("a: &a [1, *a]\nmodel:\n  layers: [2, 1]\n", &d);
	CHECK(c == NULL && d.n == 1 && strstr(d.v[0].msg, "recursive alias 'a'") != NULL);
	/* an unknown tag is refused, as yaml.safe_load would */
	c = cfg("model:\n  layers: !!python/tuple [2, 1]\n", &d);
	CHECK(c == NULL && d.errors >= 1);
	kx_diags_free(&d);
}
