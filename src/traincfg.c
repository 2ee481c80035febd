/* traincfg.c - the names in a compile_config (see traincfg.h).
 *
 * Keras writes compile_config as {"optimizer", "loss", "loss_weights",
 * "metrics", "weighted_metrics", ...}; a loss or metric is a name
 * ("mse"), a serialized object ({"class_name": "MeanSquaredError", ...}),
 * a function ({"class_name": "function", "config": "fx13>scaled_mse",
 * "module": "builtins"}: a custom one, which plain load_model cannot
 * rebuild), or a list or dict of these (one per output). Anything else
 * (numbers, nesting, code) is shown as what it is, never interpreted. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "traincfg.h"

/* Append s to buf (size bytes, len used), printable ASCII only; cut at
 * the end of buf. */
static void
put(char *buf, size_t size, size_t *len, const char *s)
{
	for (; *s && *len + 1 < size; s++)
		buf[(*len)++] = (*s >= 0x20 && *s < 0x7f) ? *s : '?';
	buf[*len] = '\0';
}

/* The name of one loss, metric or optimizer value into buf. */
static void
name_of(const cJSON *v, char *buf, size_t size, size_t *len, int depth)
{
	const cJSON *c;
	int first = 1;

	if (depth > 8) {
		put(buf, size, len, "...");
		return;
	}
	if (cJSON_IsString(v)) {
		put(buf, size, len, v->valuestring);
	} else if (cJSON_IsObject(v) && cJSON_GetObjectItemCaseSensitive(v, "class_name")) {
		const cJSON *cls = cJSON_GetObjectItemCaseSensitive(v, "class_name");
		const cJSON *cfg = cJSON_GetObjectItemCaseSensitive(v, "config");
		if (cJSON_IsString(cls) && strcmp(cls->valuestring, "function") == 0 && cJSON_IsString(cfg))
			put(buf, size, len, cfg->valuestring);  /* the function's name */
		else if (cJSON_IsString(cls))
			put(buf, size, len, cls->valuestring);
		else
			name_of(cls, buf, size, len, depth + 1);
	} else if (cJSON_IsArray(v) || cJSON_IsObject(v)) {
		/* one per output: "a, b" or "out_a: a, out_b: b" */
		cJSON_ArrayForEach(c, v) {
			if (!first)
				put(buf, size, len, ", ");
			first = 0;
			if (cJSON_IsObject(v) && c->string) {
				put(buf, size, len, c->string);
				put(buf, size, len, ": ");
			}
			name_of(c, buf, size, len, depth + 1);
			if (*len + 1 >= size)
				break;
		}
		if (first)
			put(buf, size, len, cJSON_IsArray(v) ? "[]" : "{}");
	} else {
		char *s = cJSON_PrintUnformatted(v);  /* a number, a boolean, null */
		put(buf, size, len, s ? s : "?");
		free(s);
	}
}

/* A name, or NULL for an absent or null value; -1 when out of memory. */
static int
dup_name(const cJSON *v, char **out)
{
	char buf[KX_TRAIN_NAME];
	size_t len = 0;

	*out = NULL;
	buf[0] = '\0';
	if (!v || cJSON_IsNull(v))
		return 0;
	name_of(v, buf, sizeof buf, &len, 0);
	return (*out = strdup(buf)) ? 0 : -1;
}

/* Each metric of v (a list of metrics, a list of lists per output, or a
 * dict per output) as its own name. */
static int
add_metrics(struct kx_train *t, const cJSON *v, const char *output, int depth)
{
	char buf[KX_TRAIN_NAME];
	const cJSON *c;
	size_t len = 0;

	if (!v || cJSON_IsNull(v))
		return 0;
	if (depth < 4 && (cJSON_IsArray(v) ||
	                  (cJSON_IsObject(v) && !cJSON_GetObjectItemCaseSensitive(v, "class_name")))) {
		cJSON_ArrayForEach(c, v)
			if (add_metrics(t, c, cJSON_IsObject(v) ? c->string : output, depth + 1) != 0)
				return -1;
		return 0;
	}
	if (t->n_metrics == KX_TRAIN_MAX_METRICS) {
		t->more_metrics++;
		return 0;
	}
	buf[0] = '\0';
	if (output) {
		put(buf, sizeof buf, &len, output);
		put(buf, sizeof buf, &len, ": ");
	}
	name_of(v, buf, sizeof buf, &len, 0);
	if (!(t->metrics[t->n_metrics] = strdup(buf)))
		return -1;
	t->n_metrics++;
	return 0;
}

int
kx_train_read(struct kx_train *t, const cJSON *cc)
{
	memset(t, 0, sizeof *t);
	if (!cJSON_IsObject(cc))
		return 0;
	if (dup_name(cJSON_GetObjectItemCaseSensitive(cc, "optimizer"), &t->optimizer) != 0 ||
	    dup_name(cJSON_GetObjectItemCaseSensitive(cc, "loss"), &t->loss) != 0 ||
	    add_metrics(t, cJSON_GetObjectItemCaseSensitive(cc, "metrics"), NULL, 0) != 0 ||
	    add_metrics(t, cJSON_GetObjectItemCaseSensitive(cc, "weighted_metrics"), NULL, 0) != 0) {
		kx_train_free(t);
		return -1;
	}
	return 0;
}

void
kx_train_free(struct kx_train *t)
{
	size_t i;

	free(t->optimizer);
	free(t->loss);
	for (i = 0; i < t->n_metrics; i++)
		free(t->metrics[i]);
	memset(t, 0, sizeof *t);
}
