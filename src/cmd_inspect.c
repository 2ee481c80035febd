/* cmd_inspect.c - kanx inspect: what is in a checkpoint. */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "err.h"
#include "kanx.h"
#include "model.h"
#include "numfmt.h"
#include "sha256.h"

const struct kx_cmd kx_cmd_inspect;

enum { OPT_JSON = 'j' };

static const struct kx_optdef opts[] = {
	{ "json", 'j', NULL, OPT_JSON, "print one JSON object per model (JSON lines)" },
	{ NULL, 0, NULL, 0, NULL }
};

struct inspect_opts {
	int json;
};

static int
set_opt(void *ctx, int val, const char *arg)
{
	struct inspect_opts *o = ctx;

	(void)arg;
	if (val == OPT_JSON)
		o->json = 1;
	return 0;
}

static const char *
kind_class(const struct kx_layer *l)
{
	return l->class_name ? l->class_name : "?";
}

static cJSON *
num_raw(float f)
{
	char buf[KX_FLOAT_BUF];

	kx_format_float(f, buf);
	return cJSON_CreateRaw(buf);
}

static void
print_json(const struct kx_model *m)
{
	cJSON *o = cJSON_CreateObject(), *layers, *lo, *r;
	char hex[65], *s;
	size_t i;

	kx_sha256_hex(m->sha256, hex);
	cJSON_AddStringToObject(o, "file", m->path);
	cJSON_AddNumberToObject(o, "size", (double)m->file_size);
	cJSON_AddStringToObject(o, "sha256", hex);
	if (m->keras_version)
		cJSON_AddStringToObject(o, "keras_version", m->keras_version);
	else
		cJSON_AddNullToObject(o, "keras_version");
	if (m->date_saved)
		cJSON_AddStringToObject(o, "date_saved", m->date_saved);
	else
		cJSON_AddNullToObject(o, "date_saved");
	cJSON_AddStringToObject(o, "class", m->class_name);
	if (m->registered_name)
		cJSON_AddStringToObject(o, "registered_name", m->registered_name);
	else
		cJSON_AddNullToObject(o, "registered_name");
	if (m->name)
		cJSON_AddStringToObject(o, "name", m->name);
	else
		cJSON_AddNullToObject(o, "name");
	cJSON_AddNumberToObject(o, "in", (double)m->in);
	cJSON_AddNumberToObject(o, "out", (double)m->out);
	cJSON_AddNumberToObject(o, "params", (double)kx_model_params(m));
	cJSON_AddBoolToObject(o, "compiled", m->compiled);
	cJSON_AddBoolToObject(o, "optimizer", m->has_optimizer);
	layers = cJSON_AddArrayToObject(o, "layers");
	for (i = 0; i < m->n_layers; i++) {
		const struct kx_layer *l = &m->layers[i];
		lo = cJSON_CreateObject();
		cJSON_AddNumberToObject(lo, "index", (double)i);
		cJSON_AddStringToObject(lo, "name", l->name);
		cJSON_AddStringToObject(lo, "class", kind_class(l));
		cJSON_AddNumberToObject(lo, "in", (double)l->in);
		cJSON_AddNumberToObject(lo, "out", (double)l->out);
		if (l->kind == KX_LAYER_KAN) {
			cJSON_AddNumberToObject(lo, "grid_size", (double)l->G);
			cJSON_AddNumberToObject(lo, "spline_order", (double)l->k);
		} else {
			cJSON_AddNullToObject(lo, "grid_size");
			cJSON_AddNullToObject(lo, "spline_order");
		}
		if (l->kind == KX_LAYER_DROPOUT)
			cJSON_AddNullToObject(lo, "activation");
		else
			cJSON_AddStringToObject(lo, "activation", kx_act_name(l->act));
		if (l->kind == KX_LAYER_KAN) {
			r = cJSON_AddArrayToObject(lo, "grid_range");
			cJSON_AddItemToArray(r, num_raw(l->grid_lo));
			cJSON_AddItemToArray(r, num_raw(l->grid_hi));
			cJSON_AddBoolToObject(lo, "uniform", l->uniform);
		} else {
			cJSON_AddNullToObject(lo, "grid_range");
			cJSON_AddNullToObject(lo, "uniform");
		}
		cJSON_AddNumberToObject(lo, "params", (double)kx_layer_params(l));
		cJSON_AddItemToArray(layers, lo);
	}
	s = cJSON_PrintUnformatted(o);
	if (s) {
		fputs(s, stdout);
		fputc('\n', stdout);
	}
	free(s);
	cJSON_Delete(o);
}

static void
print_text(const struct kx_model *m)
{
	char hex[65], lo[KX_FLOAT_BUF], hi[KX_FLOAT_BUF], range[80];
	size_t i;

	kx_sha256_hex(m->sha256, hex);
	printf("%s\n", m->path);
	printf("  size        %zu bytes\n", m->file_size);
	printf("  sha256      %s\n", hex);
	printf("  keras       %s, saved %s\n", m->keras_version ? m->keras_version : "unknown",
	       m->date_saved ? m->date_saved : "unknown");
	printf("  model       %s '%s'%s%s%s\n", m->class_name, m->name ? m->name : "",
	       m->registered_name ? " (" : "", m->registered_name ? m->registered_name : "",
	       m->registered_name ? ")" : "");
	printf("  input       width %zu\n", m->in);
	printf("  output      width %zu\n", m->out);
	printf("  optimizer   %s\n", m->has_optimizer ? "state present (ignored)" :
	       m->compiled ? "compiled, no state saved" : "none");
	printf("  layers\n");
	printf("    %-3s %-16s %-10s %6s %6s %4s %3s %-12s %-20s %-7s %10s\n", "#", "name", "class",
	       "in", "out", "G", "k", "activation", "grid range", "uniform", "params");
	for (i = 0; i < m->n_layers; i++) {
		const struct kx_layer *l = &m->layers[i];
		char g[16] = "-", k[16] = "-";
		if (l->kind == KX_LAYER_KAN) {
			snprintf(g, sizeof g, "%zu", l->G);
			snprintf(k, sizeof k, "%zu", l->k);
			kx_format_float(l->grid_lo, lo);
			kx_format_float(l->grid_hi, hi);
			snprintf(range, sizeof range, "[%s, %s]", lo, hi);
		} else {
			snprintf(range, sizeof range, "-");
		}
		printf("    %-3zu %-16s %-10s %6zu %6zu %4s %3s %-12s %-20s %-7s %10zu\n", i, l->name,
		       kind_class(l), l->in, l->out, g, k,
		       l->kind == KX_LAYER_DROPOUT ? "-" : kx_act_name(l->act), range,
		       l->kind == KX_LAYER_KAN ? (l->uniform ? "yes" : "no") : "-",
		       kx_layer_params(l));
	}
	printf("  trainable parameters: %zu\n", kx_model_params(m));
}

static int
exec_inspect(int argc, char **argv)
{
	struct inspect_opts o = { 0 };
	struct kx_limits lim;
	const char *msg, *env;
	char *one[1];
	char **models;
	int first, rc = KX_EXIT_OK, n, i;

	first = kx_cli_parse(&kx_cmd_inspect, argc, argv, set_opt, &o, &rc);
	if (first < 0)
		return rc;
	if (kx_limits_init(&lim, &msg) != 0) {
		kx_msg("%s", msg);
		return KX_EXIT_USAGE;
	}
	models = argv + first;
	n = argc - first;
	if (n == 0) {
		env = getenv("KANX_CHECKPOINT");
		if (!env || !*env) {
			kx_msg("inspect: no model given (name one, or set KANX_CHECKPOINT)");
			fprintf(stderr, "Try 'kanx inspect --help'.\n");
			return KX_EXIT_USAGE;
		}
		one[0] = (char *)env;
		models = one;
		n = 1;
	}
	for (i = 0; i < n; i++) {
		struct kx_err e;
		struct kx_model *m;

		kx_err_clear(&e);
		m = kx_model_load(models[i], &lim, &e);
		if (!m) {
			kx_err_print(&e);
			if (rc == KX_EXIT_OK)
				rc = e.code ? e.code : KX_EXIT_BADMODEL;
			continue;
		}
		if (o.json)
			print_json(m);
		else {
			if (i > 0)
				putchar('\n');
			print_text(m);
		}
		kx_model_free(m);
		if (fflush(stdout) != 0)
			return KX_EXIT_IO;
	}
	return rc;
}

const struct kx_cmd kx_cmd_inspect = {
	"inspect", "describe checkpoints: layers, widths, grids, parameters, provenance",
	opts, "[--json] [MODEL ...]", exec_inspect
};
