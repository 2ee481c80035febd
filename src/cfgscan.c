/* cfgscan.c - what kanx refuses anywhere in a model's config.json before
 * it builds anything from it (cfgscan.h). */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "cfgscan.h"
#include "layer.h"

static const char *
jstr(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
	return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* Keras writes a Python object as {"module", "class_name", "config",
 * "registered_name"}; a Python loader imports the module and may run
 * marshalled bytecode. kanx imports and runs nothing, and refuses, anywhere
 * in the config, what would make Python do so or reach outside the
 * archive: lambdas, functions from outside keras, modules other than
 * keras.* and kanx.*, registered names other than kanx's, values that name
 * a URL or a file. */

static int
module_ok(const char *m)
{
	return strcmp(m, "keras") == 0 || strncmp(m, "keras.", 6) == 0 ||
	       strcmp(m, "kanx") == 0 || strncmp(m, "kanx.", 5) == 0;
}

/* A registered_name kanx reads: a model class, or a row of the layer
 * table matched by its registered_name (kanx>KANLinear, Keras's Cast op). */
static int
registered_ok(const char *r)
{
	static const char *const models[] = { "kanx>KAN", "Functional", "Sequential", NULL };
	size_t i;

	for (i = 0; models[i]; i++)
		if (strcmp(r, models[i]) == 0)
			return 1;
	return kx_layer_find(r, 1) != NULL;
}

/* A URL ("scheme://...", "file:...") or a file path ("/...", "~/...", "../..."). */
static const char *
names_outside(const char *s)
{
	const char *p = s;

	if (isalpha((unsigned char)*p)) {
		while (isalnum((unsigned char)*p) || *p == '+' || *p == '-' || *p == '.')
			p++;
		if (strncmp(p, "://", 3) == 0 || (strncmp(s, "file:", 5) == 0))
			return "a URL";
	}
	if (s[0] == '/' || strncmp(s, "~/", 2) == 0 || strncmp(s, "../", 3) == 0 ||
	    strncmp(s, "./", 2) == 0)
		return "a file";
	return NULL;
}

static int
file_key(const char *k)
{
	static const char *const keys[] = { "filepath", "file_path", "filename", "file", "path",
	                                    "url", "uri", "origin", NULL };
	size_t i;

	for (i = 0; keys[i]; i++)
		if (strcmp(k, keys[i]) == 0)
			return 1;
	return 0;
}

#define WHERE(p) ((p)[0] ? (p) : "top level")

/* Scan v, found at PATH (a buffer of SIZE bytes holding LEN of them). */
static int
scan_value(const cJSON *v, char *path, size_t len, size_t size, const char *label,
           struct kx_err *e)
{
	const cJSON *c;
	size_t i = 0;

	if (cJSON_IsString(v)) {
		const char *what = names_outside(v->valuestring);
		if (what)
			return kx_err_set(e, KX_EXIT_BADMODEL, "%s: %s: '%.100s' names %s; kanx reads "
			                  "nothing outside the archive", label, WHERE(path), v->valuestring, what);
		return 0;
	}
	if (cJSON_IsObject(v)) {
		const char *cls = jstr(v, "class_name"), *mod = jstr(v, "module");
		const char *reg = jstr(v, "registered_name");
		int fn = cls && strcmp(cls, "function") == 0;

		if (cls && strcmp(cls, "__lambda__") == 0)
			return kx_err_set(e, KX_EXIT_BADMODEL, "%s: %s: a Python lambda (marshalled bytecode) "
			                  "is refused; kanx runs no Python code", label, WHERE(path));
		if (mod && !module_ok(mod))
			return kx_err_set(e, KX_EXIT_BADMODEL, "%s: %s: names module '%.100s'; kanx imports "
			                  "nothing and supports only keras and kanx objects", label,
			                  WHERE(path), mod);
		if (fn && !mod)
			return kx_err_set(e, KX_EXIT_BADMODEL, "%s: %s: a Python function from no named "
			                  "module is refused", label, WHERE(path));
		if (reg && !fn && !registered_ok(reg))
			return kx_err_set(e, KX_EXIT_BADMODEL, "%s: %s: registered_name '%.100s' is not "
			                  "supported (only kanx>KAN, kanx>KANLinear and Keras's Cast)", label, WHERE(path), reg);
	} else if (!cJSON_IsArray(v)) {
		return 0;
	}
	cJSON_ArrayForEach(c, v) {
		size_t n;
		int w;

		/* training-only: what the model was compiled with (a custom loss
		 * or metric, which Keras itself rebuilds only from its own code)
		 * is shown by inspect and never used, so it refuses nothing */
		if (cJSON_IsObject(v) && cJSON_GetObjectItemCaseSensitive(v, "class_name") && c->string &&
		    strcmp(c->string, "compile_config") == 0)
			continue;
		if (cJSON_IsObject(v))
			w = snprintf(path + len, size - len, "%s%s", len ? "." : "", c->string ? c->string : "?");
		else
			w = snprintf(path + len, size - len, "[%zu]", i++);
		n = w < 0 || (size_t)w >= size - len ? size - 1 : len + (size_t)w;
		if (cJSON_IsObject(v) && c->string && file_key(c->string) && cJSON_IsString(c) &&
		    c->valuestring[0])
			return kx_err_set(e, KX_EXIT_BADMODEL, "%s: %s: names a file or URL; kanx reads "
			                  "nothing outside the archive", label, path);
		if (scan_value(c, path, n, size, label, e) != 0)
			return -1;
		path[len] = '\0';
	}
	return 0;
}

int
kx_cfg_scan(const cJSON *root, const char *label, struct kx_err *e)
{
	char path[256] = "";

	return scan_value(root, path, 0, sizeof path, label, e);
}
