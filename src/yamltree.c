/* yamltree.c - libyaml events -> a node tree with positions; YAML 1.1
 * scalar resolution as PyYAML does it. */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "kxlimits.h"
#include "text.h"
#include "yamltree.h"

void
kx_ytree_free(struct kx_ytree *t)
{
	struct kx_ynode *n, *next;
	size_t i;

	for (n = t->all; n; n = next) {
		next = n->chain;
		free(n->text);
		free(n->tag);
		free(n->kids);
		free(n);
	}
	for (i = 0; i < t->n_anchors; i++)
		free(t->anchors[i].name);
	free(t->anchors);
	memset(t, 0, sizeof *t);
}

static struct kx_ynode *
ynode_new(struct kx_ytree *t, enum kx_ykind kind, const yaml_mark_t *m, const yaml_char_t *tag)
{
	struct kx_ynode *n = calloc(1, sizeof *n);

	if (n == NULL)
		return NULL;
	n->kind = kind;
	n->line = (unsigned long)m->line + 1;
	n->col = (unsigned long)m->column + 1;
	if (tag) {
		n->tag = strdup((const char *)tag);
		if (n->tag == NULL) {
			free(n);
			return NULL;
		}
	}
	n->chain = t->all;
	t->all = n;
	return n;
}

static int
ynode_push(struct kx_ynode *parent, struct kx_ynode *kid)
{
	if (kx_grow(&parent->kids, &parent->cap, parent->n + 1, sizeof *parent->kids) != 0)
		return -1;
	parent->kids[parent->n++] = kid;
	return 0;
}

static int
anchor_add(struct kx_ytree *t, const yaml_char_t *name, struct kx_ynode *n)
{
	if (name == NULL)
		return 0;
	if (kx_grow(&t->anchors, &t->cap_anchors, t->n_anchors + 1, sizeof *t->anchors) != 0)
		return -1;
	t->anchors[t->n_anchors].name = strdup((const char *)name);
	if (t->anchors[t->n_anchors].name == NULL)
		return -1;
	t->anchors[t->n_anchors++].node = n;
	return 0;
}

static struct kx_ynode *
anchor_find(const struct kx_ytree *t, const char *name)
{
	size_t i;

	for (i = t->n_anchors; i-- > 0;)  /* a redefined anchor: the latest wins */
		if (strcmp(t->anchors[i].name, name) == 0)
			return t->anchors[i].node;
	return NULL;
}

static void
syntax_problem(const yaml_parser_t *p, const char *file, const unsigned char *buf, size_t len,
               struct kx_diags *d)
{
	const char *problem = p->problem ? p->problem : "cannot parse the YAML";
	unsigned long line, col;

	if (p->error == YAML_READER_ERROR) {
		size_t l, c;

		/* columns in characters, as libyaml's marks and the JSON messages count them */
		kx_text_pos((const char *)buf, len, p->problem_offset, &l, &c);
		line = (unsigned long)l;
		col = (unsigned long)c;
		if (p->problem_value != -1)
			kx_diags_add(d, KX_SEV_ERROR, file, line, col, NULL, "%s: #%X", problem,
			             (unsigned)p->problem_value);
		else
			kx_diags_add(d, KX_SEV_ERROR, file, line, col, NULL, "%s", problem);
		return;
	}
	line = (unsigned long)p->problem_mark.line + 1;
	col = (unsigned long)p->problem_mark.column + 1;
	if (p->error == YAML_MEMORY_ERROR)
		kx_diags_add(d, KX_SEV_ERROR, file, 0, 0, NULL, "out of memory while parsing");
	else if (p->context)
		kx_diags_add(d, KX_SEV_ERROR, file, line, col, NULL, "%s (%s at line %lu, column %lu)",
		             problem, p->context, (unsigned long)p->context_mark.line + 1,
		             (unsigned long)p->context_mark.column + 1);
	else
		kx_diags_add(d, KX_SEV_ERROR, file, line, col, NULL, "%s", problem);
}

/* Build the tree. Returns 0 (t->root NULL for an empty stream), 1 when a
 * problem was added (no usable tree), -1 when memory ran out. */
int
kx_ytree_build(struct kx_ytree *t, const unsigned char *buf, size_t len, size_t max_depth,
            struct kx_diags *d)
{
	yaml_parser_t p;
	yaml_event_t ev;
	struct kx_ynode **stack;
	struct kx_ynode *n;
	size_t depth = 0;
	int docs = 0, rc = 0, end = 0;

	stack = kx_mallocarray(max_depth + 1, sizeof *stack);
	if (stack == NULL)
		return -1;
	if (!yaml_parser_initialize(&p)) {
		free(stack);
		return -1;
	}
	yaml_parser_set_input_string(&p, buf, len);
	while (!end && rc == 0) {
		if (!yaml_parser_parse(&p, &ev)) {
			if (p.error == YAML_MEMORY_ERROR) {
				rc = -1;
				break;
			}
			syntax_problem(&p, t->file, buf, len, d);
			rc = 1;
			break;
		}
		n = NULL;
		switch (ev.type) {
		case YAML_STREAM_END_EVENT:
			end = 1;
			break;
		case YAML_DOCUMENT_START_EVENT:
			if (++docs > 1) {
				kx_diags_add(d, KX_SEV_ERROR, t->file, (unsigned long)ev.start_mark.line + 1,
				             (unsigned long)ev.start_mark.column + 1, NULL,
				             "expected a single document in the stream, but found another document");
				rc = 1;
			}
			break;
		case YAML_SCALAR_EVENT:
			n = ynode_new(t, Y_SCALAR, &ev.start_mark, ev.data.scalar.tag);
			if (n == NULL) {
				rc = -1;
				break;
			}
			n->text = malloc(ev.data.scalar.length + 1);
			if (n->text == NULL) {
				rc = -1;
				break;
			}
			memcpy(n->text, ev.data.scalar.value, ev.data.scalar.length);
			n->text[ev.data.scalar.length] = '\0';
			n->len = ev.data.scalar.length;
			n->plain = ev.data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
			n->done = 1;
			if (anchor_add(t, ev.data.scalar.anchor, n) != 0)
				rc = -1;
			break;
		case YAML_SEQUENCE_START_EVENT:
		case YAML_MAPPING_START_EVENT:
			n = ynode_new(t, ev.type == YAML_SEQUENCE_START_EVENT ? Y_SEQ : Y_MAP, &ev.start_mark,
			              ev.type == YAML_SEQUENCE_START_EVENT ? ev.data.sequence_start.tag
			                                                   : ev.data.mapping_start.tag);
			if (n == NULL) {
				rc = -1;
				break;
			}
			if (anchor_add(t, ev.type == YAML_SEQUENCE_START_EVENT ? ev.data.sequence_start.anchor
			                                                     : ev.data.mapping_start.anchor, n) != 0)
				rc = -1;
			break;
		case YAML_SEQUENCE_END_EVENT:
		case YAML_MAPPING_END_EVENT:
			if (depth > 0)
				stack[--depth]->done = 1;
			break;
		case YAML_ALIAS_EVENT:
			n = anchor_find(t, (const char *)ev.data.alias.anchor);
			if (n == NULL || !n->done) {
				kx_diags_add(d, KX_SEV_ERROR, t->file, (unsigned long)ev.start_mark.line + 1,
				             (unsigned long)ev.start_mark.column + 1, NULL,
				             n ? "recursive alias '%s' is not supported" : "found undefined alias '%s'",
				             (const char *)ev.data.alias.anchor);
				rc = 1;
				n = NULL;
			}
			break;
		default:
			break;
		}
		if (n && rc == 0) {
			/* Attach to the open container, or make it the root. */
			if (depth == 0)
				t->root = n;
			else if (ynode_push(stack[depth - 1], n) != 0)
				rc = -1;
			if (rc == 0 && ev.type != YAML_ALIAS_EVENT && n->kind != Y_SCALAR) {
				if (depth >= max_depth) {
					kx_diags_add(d, KX_SEV_ERROR, t->file, n->line, n->col, NULL,
					             "nesting deeper than %zu levels", max_depth);
					rc = 1;
				} else {
					stack[depth++] = n;
				}
			}
		}
		yaml_event_delete(&ev);
	}
	yaml_parser_delete(&p);
	free(stack);
	return rc;
}

/* ---- YAML 1.1 scalars, as PyYAML resolves them -------------------------- */

static int
match_bool(const char *s, int *val)
{
	static const char *const yes[] = { "yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON", NULL };
	static const char *const no[] = { "no", "No", "NO", "false", "False", "FALSE", "off", "Off", "OFF", NULL };
	size_t i;

	for (i = 0; yes[i]; i++)
		if (strcmp(s, yes[i]) == 0)
			return *val = 1, 1;
	for (i = 0; no[i]; i++)
		if (strcmp(s, no[i]) == 0)
			return *val = 0, 1;
	return 0;
}

static int
match_null(const char *s)
{
	return *s == '\0' || strcmp(s, "~") == 0 || strcmp(s, "null") == 0 ||
	       strcmp(s, "Null") == 0 || strcmp(s, "NULL") == 0;
}

/* (:[0-5]?[0-9])+ at s; returns the length matched or 0. */
static size_t
match_sexa(const char *s)
{
	size_t i = 0, groups = 0;

	while (s[i] == ':') {
		size_t j = i + 1;
		if (s[j] >= '0' && s[j] <= '5' && kx_is_digit(s[j + 1]))
			j += 2;
		else if (kx_is_digit(s[j]))
			j += 1;
		else
			break;
		i = j;
		groups++;
	}
	return groups ? i : 0;
}

static int
match_int(const char *s)
{
	size_t i = 0, j;

	if (s[i] == '-' || s[i] == '+')
		i++;
	if (s[i] == '0' && s[i + 1] == 'b') {
		for (j = i + 2; s[j] == '0' || s[j] == '1' || s[j] == '_'; j++)
			;
		return j > i + 2 && s[j] == '\0';
	}
	if (s[i] == '0' && s[i + 1] == 'x') {
		for (j = i + 2; s[j] && (strchr("0123456789abcdefABCDEF_", s[j]) != NULL); j++)
			;
		return j > i + 2 && s[j] == '\0';
	}
	if (s[i] == '0') {
		if (s[i + 1] == '\0')
			return 1;
		for (j = i + 1; (s[j] >= '0' && s[j] <= '7') || s[j] == '_'; j++)
			;
		return s[j] == '\0';
	}
	if (s[i] >= '1' && s[i] <= '9') {
		for (j = i + 1; kx_is_digit(s[j]) || s[j] == '_'; j++)
			;
		if (s[j] == '\0')
			return 1;
		j += match_sexa(s + j);
		return s[j] == '\0' && strchr(s, ':') != NULL;
	}
	return 0;
}

/* [eE][-+][0-9]+ at s, or nothing; returns the length or (size_t)-1 on a bad exponent. */
static size_t
match_exp(const char *s)
{
	size_t j;

	if (s[0] != 'e' && s[0] != 'E')
		return 0;
	if (s[1] != '-' && s[1] != '+')
		return (size_t)-1;
	for (j = 2; kx_is_digit(s[j]); j++)
		;
	return j > 2 ? j : (size_t)-1;
}

static int
match_float(const char *s)
{
	size_t i = 0, j, e;

	if (strcmp(s, ".nan") == 0 || strcmp(s, ".NaN") == 0 || strcmp(s, ".NAN") == 0)
		return 1;
	if (s[0] == '.' && kx_is_digit(s[1])) {
		for (j = 2; kx_is_digit(s[j]) || s[j] == '_'; j++)
			;
		e = match_exp(s + j);
		return e != (size_t)-1 && s[j + e] == '\0';
	}
	if (s[i] == '-' || s[i] == '+')
		i++;
	if (strcmp(s + i, ".inf") == 0 || strcmp(s + i, ".Inf") == 0 || strcmp(s + i, ".INF") == 0)
		return 1;
	if (!kx_is_digit(s[i]))
		return 0;
	for (j = i + 1; kx_is_digit(s[j]) || s[j] == '_'; j++)
		;
	if (s[j] == '.') {
		for (j++; kx_is_digit(s[j]) || s[j] == '_'; j++)
			;
		e = match_exp(s + j);
		return e != (size_t)-1 && s[j + e] == '\0';
	}
	if (s[j] == ':') {
		j += match_sexa(s + j);
		if (s[j] != '.')
			return 0;
		for (j++; kx_is_digit(s[j]) || s[j] == '_'; j++)
			;
		return s[j] == '\0';
	}
	return 0;
}

static int
match_date(const char *s)
{
	return strlen(s) == 10 && kx_is_digit(s[0]) && kx_is_digit(s[1]) && kx_is_digit(s[2]) && kx_is_digit(s[3]) &&
	       s[4] == '-' && kx_is_digit(s[5]) && kx_is_digit(s[6]) && s[7] == '-' && kx_is_digit(s[8]) && kx_is_digit(s[9]);
}

/* PyYAML construct_yaml_int on text matching the int pattern (or a !!int
 * scalar). Returns 0, or -1 when it is not an integer at all. */
static int
construct_int(const char *s, long long *out, int *big)
{
	unsigned long long v = 0, lim = (unsigned long long)LLONG_MAX;
	int neg = 0, base = 10, any = 0;
	size_t i = 0;

	*big = 0;
	if (s[i] == '-' || s[i] == '+')
		neg = s[i++] == '-';
	if (s[i] == '0' && s[i + 1] == 'b')
		base = 2, i += 2;
	else if (s[i] == '0' && s[i + 1] == 'x')
		base = 16, i += 2;
	else if (s[i] == '0' && s[i + 1] != '\0')
		base = 8, i += 1;
	else if (strchr(s + i, ':'))
		base = 60;
	if (base == 60) {
		/* digits separated by ':' : sum of part * 60^k */
		unsigned long long part = 0;
		for (; s[i]; i++) {
			if (s[i] == '_')
				continue;
			if (s[i] == ':') {
				if (v > (lim - part) / 60 + 1 && v != 0)
					*big = 1;
				v = v * 60 + part;
				part = 0;
				continue;
			}
			if (!kx_is_digit(s[i]))
				return -1;
			part = part * 10 + (unsigned long long)(s[i] - '0');
			any = 1;
			if (part > lim)
				*big = 1;
		}
		if (v > (lim - part) / 60)
			*big = 1;
		v = v * 60 + part;
	} else {
		for (; s[i]; i++) {
			int dv;
			if (s[i] == '_')
				continue;
			if (kx_is_digit(s[i]))
				dv = s[i] - '0';
			else if (s[i] >= 'a' && s[i] <= 'f')
				dv = s[i] - 'a' + 10;
			else if (s[i] >= 'A' && s[i] <= 'F')
				dv = s[i] - 'A' + 10;
			else
				return -1;
			if (dv >= base)
				return -1;
			any = 1;
			if (v > (lim - (unsigned long long)dv) / (unsigned long long)base)
				*big = 1;
			else
				v = v * (unsigned long long)base + (unsigned long long)dv;
		}
	}
	if (!any && !(s[0] == '0' || ((s[0] == '-' || s[0] == '+') && s[1] == '0')))
		return -1;
	*out = *big ? (neg ? LLONG_MIN : LLONG_MAX) : (neg ? -(long long)v : (long long)v);
	return 0;
}

/* PyYAML construct_yaml_float. Returns 0, or -1 for text that is no float. */
static int
construct_float(const char *s, double *out)
{
	char buf[128];
	size_t i, n = 0;
	double sign = 1.0, v;
	char *end;

	for (i = 0; s[i] && n + 1 < sizeof buf; i++)
		if (s[i] != '_')
			buf[n++] = (char)(s[i] >= 'A' && s[i] <= 'Z' ? s[i] - 'A' + 'a' : s[i]);
	if (s[i])
		return -1;
	buf[n] = '\0';
	i = 0;
	if (buf[0] == '-' || buf[0] == '+') {
		if (buf[0] == '-')
			sign = -1.0;
		i = 1;
	}
	if (strcmp(buf + i, ".inf") == 0)
		return *out = sign * INFINITY, 0;
	if (strcmp(buf + i, ".nan") == 0)
		return *out = NAN, 0;
	if (strchr(buf + i, ':')) {
		double base = 1.0;
		char *p = buf + i, *q;
		v = 0.0;
		/* parts from the right: a:b:c.d = c.d + 60*b + 3600*a */
		while ((q = strrchr(p, ':')) != NULL) {
			v += strtod(q + 1, NULL) * base;
			base *= 60.0;
			*q = '\0';
		}
		v += strtod(p, NULL) * base;
		*out = sign * v;
		return 0;
	}
	errno = 0;
	v = strtod(buf + i, &end);
	if (end == buf + i || *end != '\0')
		return -1;
	*out = sign * v;
	return 0;
}

/* Resolve a node to a typed value the way yaml.safe_load would. Unknown
 * tags give YV_BAD (reported once, when the tree is checked). */
void
kx_yaml_resolve(const struct kx_ynode *n, struct kx_yval *v)
{
	const char *s;
	int b;

	memset(v, 0, sizeof *v);
	v->n = n;
	if (n == NULL) {
		v->t = YV_NULL;
		return;
	}
	if (n->kind == Y_SEQ) {
		v->t = YV_SEQ;
		return;
	}
	if (n->kind == Y_MAP) {
		v->t = YV_MAP;
		return;
	}
	s = n->text;
	if (n->tag && strcmp(n->tag, "!") != 0) {
		const char *t = n->tag;
		if (strncmp(t, KX_YTAG, strlen(KX_YTAG)) != 0) {
			v->t = YV_BAD;
			return;
		}
		t += strlen(KX_YTAG);
		if (strcmp(t, "str") == 0)
			v->t = YV_STR;
		else if (strcmp(t, "null") == 0)
			v->t = YV_NULL;
		else if (strcmp(t, "bool") == 0) {
			char low[8];
			size_t i;
			for (i = 0; i < sizeof low - 1 && s[i]; i++)
				low[i] = (char)(s[i] >= 'A' && s[i] <= 'Z' ? s[i] - 'A' + 'a' : s[i]);
			low[i] = '\0';
			if (s[i] == '\0' && match_bool(low, &b)) {
				v->t = YV_BOOL;
				v->i = b;
			} else {
				v->t = YV_BAD;
			}
		} else if (strcmp(t, "int") == 0)
			v->t = construct_int(s, &v->i, &v->big) == 0 ? YV_INT : YV_BAD;
		else if (strcmp(t, "float") == 0)
			v->t = construct_float(s, &v->f) == 0 ? YV_FLOAT : YV_BAD;
		else
			v->t = YV_BAD;
		return;
	}
	if (!n->plain || n->tag) {  /* quoted, or the non-specific "!" tag */
		v->t = YV_STR;
		return;
	}
	/* PyYAML's implicit resolvers in registration order. */
	if (match_bool(s, &b)) {
		v->t = YV_BOOL;
		v->i = b;
	} else if (match_float(s) && construct_float(s, &v->f) == 0) {
		v->t = YV_FLOAT;
	} else if (match_int(s) && construct_int(s, &v->i, &v->big) == 0) {
		v->t = YV_INT;
	} else if (match_null(s)) {
		v->t = YV_NULL;
	} else if (match_date(s)) {
		v->t = YV_DATE;
	} else {
		v->t = YV_STR;
	}
}

/* A scalar key that resolves to the string KEY. */
int
kx_ykey_is(const struct kx_ynode *k, const char *key)
{
	struct kx_yval v;

	if (k->kind != Y_SCALAR || strcmp(k->text, key) != 0)
		return 0;
	kx_yaml_resolve(k, &v);
	return v.t == YV_STR;
}

int
kx_ykey_is_merge(const struct kx_ynode *k)
{
	return k->kind == Y_SCALAR && k->plain && strcmp(k->text, "<<") == 0 &&
	       (k->tag == NULL || strcmp(k->tag, KX_YTAG "merge") == 0);
}

/* Value of KEY in mapping m: its own entries first (the last duplicate
 * wins, as in a Python dict), then "<<" merges in order. *budget bounds the
 * work on pathological merge graphs. Sets *kn to the key node if wanted. */
const struct kx_ynode *
kx_ymap_get(const struct kx_ynode *m, const char *key, const struct kx_ynode **kn, int *budget)
{
	const struct kx_ynode *r = NULL;
	size_t i;

	if (m == NULL || m->kind != Y_MAP || --*budget < 0)
		return NULL;
	for (i = 0; i + 1 < m->n; i += 2)
		if (kx_ykey_is(m->kids[i], key)) {
			r = m->kids[i + 1];
			if (kn)
				*kn = m->kids[i];
		}
	if (r)
		return r;
	for (i = 0; i + 1 < m->n; i += 2) {
		const struct kx_ynode *mv = m->kids[i + 1];
		if (!kx_ykey_is_merge(m->kids[i]))
			continue;
		if (mv->kind == Y_MAP) {
			r = kx_ymap_get(mv, key, kn, budget);
			if (r)
				return r;
		} else if (mv->kind == Y_SEQ) {
			size_t j;
			for (j = 0; j < mv->n; j++) {
				r = kx_ymap_get(mv->kids[j], key, kn, budget);
				if (r)
					return r;
			}
		}
	}
	return NULL;
}
