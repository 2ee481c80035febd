/* yamlcfg.c - kanx YAML training configs (libyaml) and diagnostics.
 *
 * Two passes: libyaml events -> a small node tree (with line/column of
 * every node, anchors and aliases shared, never expanded), then the kanx
 * library's validate_config() rules over that tree, with YAML 1.1 scalar
 * resolution and Python int()/float() conversions reproduced so that the
 * same file is accepted or refused, with the same message, as in Python. */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "cli.h"
#include "kanx.h"
#include "yamlcfg.h"

/* ---- diagnostics ---------------------------------------------------------- */

static char *
xstrdup(const char *s)
{
	size_t n;
	char *p;

	if (s == NULL)
		return NULL;
	n = strlen(s) + 1;
	p = malloc(n);
	if (p)
		memcpy(p, s, n);
	return p;
}

void
kx_diags_init(struct kx_diags *d)
{
	memset(d, 0, sizeof *d);
}

int
kx_diags_add(struct kx_diags *d, enum kx_severity sev, const char *file,
             unsigned long line, unsigned long col, const char *where,
             const char *fmt, ...)
{
	struct kx_diag *x;
	va_list ap;
	int len;

	d->last_kept = 0;
	if (sev == KX_SEV_ERROR)
		d->errors++;
	else
		d->warnings++;
	if (d->n >= KX_DIAGS_MAX) {
		d->dropped++;
		return 0;
	}
	if (d->n == d->cap) {
		size_t cap = d->cap ? d->cap * 2 : 16;
		struct kx_diag *v;
		if (cap > KX_DIAGS_MAX)
			cap = KX_DIAGS_MAX;
		v = kx_mallocarray(cap, sizeof *v);
		if (v == NULL)
			goto oom;
		if (d->n)
			memcpy(v, d->v, d->n * sizeof *v);
		free(d->v);
		d->v = v;
		d->cap = cap;
	}
	x = &d->v[d->n];
	memset(x, 0, sizeof *x);
	x->sev = sev;
	x->line = line;
	x->col = line ? col : 0;
	va_start(ap, fmt);
	len = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (len < 0)
		len = 0;
	x->msg = malloc((size_t)len + 1);
	x->file = file ? xstrdup(file) : NULL;
	x->where = where ? xstrdup(where) : NULL;
	if (x->msg == NULL || (file && x->file == NULL) || (where && x->where == NULL)) {
		free(x->msg);
		free(x->file);
		free(x->where);
		goto oom;
	}
	va_start(ap, fmt);
	vsnprintf(x->msg, (size_t)len + 1, fmt, ap);
	va_end(ap);
	d->n++;
	d->last_kept = 1;
	return 0;
oom:
	d->oom = 1;
	return -1;
}

struct kx_diag *
kx_diags_last(struct kx_diags *d)
{
	return d->n && d->last_kept ? &d->v[d->n - 1] : NULL;
}

void
kx_diags_free(struct kx_diags *d)
{
	size_t i;

	if (d == NULL)
		return;
	for (i = 0; i < d->n; i++) {
		free(d->v[i].file);
		free(d->v[i].member);
		free(d->v[i].where);
		free(d->v[i].msg);
	}
	free(d->v);
	kx_diags_init(d);
}

/* ---- the node tree -------------------------------------------------------- */

enum ykind { Y_SCALAR, Y_SEQ, Y_MAP };

struct ynode {
	enum ykind kind;
	unsigned long line, col;   /* 1-based */
	char *text;                /* scalar value (NUL-terminated) */
	size_t len;
	int plain;                 /* a plain (unquoted) scalar: resolved implicitly */
	char *tag;                 /* explicit tag, or NULL */
	struct ynode **kids;       /* seq: items; map: key, value, key, value, ... */
	size_t n, cap;
	int done;                  /* the end event was seen (aliases may point here) */
	struct ynode *chain;       /* every node, for freeing */
};

struct yanchor {
	char *name;
	struct ynode *node;
};

struct ytree {
	const char *file;
	struct ynode *root;
	struct ynode *all;
	struct yanchor *anchors;
	size_t n_anchors, cap_anchors;
	int oom;
};

static void
ytree_free(struct ytree *t)
{
	struct ynode *n, *next;
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

static struct ynode *
ynode_new(struct ytree *t, enum ykind kind, const yaml_mark_t *m, const yaml_char_t *tag)
{
	struct ynode *n = calloc(1, sizeof *n);

	if (n == NULL)
		return NULL;
	n->kind = kind;
	n->line = (unsigned long)m->line + 1;
	n->col = (unsigned long)m->column + 1;
	if (tag) {
		n->tag = xstrdup((const char *)tag);
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
ynode_push(struct ynode *parent, struct ynode *kid)
{
	if (parent->n == parent->cap) {
		size_t cap = parent->cap ? parent->cap * 2 : 8;
		struct ynode **v = kx_mallocarray(cap, sizeof *v);
		if (v == NULL)
			return -1;
		if (parent->n)
			memcpy(v, parent->kids, parent->n * sizeof *v);
		free(parent->kids);
		parent->kids = v;
		parent->cap = cap;
	}
	parent->kids[parent->n++] = kid;
	return 0;
}

static int
anchor_add(struct ytree *t, const yaml_char_t *name, struct ynode *n)
{
	if (name == NULL)
		return 0;
	if (t->n_anchors == t->cap_anchors) {
		size_t cap = t->cap_anchors ? t->cap_anchors * 2 : 8;
		struct yanchor *v = kx_mallocarray(cap, sizeof *v);
		if (v == NULL)
			return -1;
		if (t->n_anchors)
			memcpy(v, t->anchors, t->n_anchors * sizeof *v);
		free(t->anchors);
		t->anchors = v;
		t->cap_anchors = cap;
	}
	t->anchors[t->n_anchors].name = xstrdup((const char *)name);
	if (t->anchors[t->n_anchors].name == NULL)
		return -1;
	t->anchors[t->n_anchors++].node = n;
	return 0;
}

static struct ynode *
anchor_find(const struct ytree *t, const char *name)
{
	size_t i;

	for (i = t->n_anchors; i-- > 0;)  /* a redefined anchor: the latest wins */
		if (strcmp(t->anchors[i].name, name) == 0)
			return t->anchors[i].node;
	return NULL;
}

/* Line and column (1-based, in bytes) of byte offset off in buf. */
static void
offset_pos(const unsigned char *buf, size_t len, size_t off, unsigned long *line, unsigned long *col)
{
	size_t i, ls = 0;

	*line = 1;
	if (off > len)
		off = len;
	for (i = 0; i < off; i++)
		if (buf[i] == '\n') {
			(*line)++;
			ls = i + 1;
		}
	*col = (unsigned long)(off - ls) + 1;
}

static void
syntax_problem(const yaml_parser_t *p, const char *file, const unsigned char *buf, size_t len,
               struct kx_diags *d)
{
	const char *problem = p->problem ? p->problem : "cannot parse the YAML";
	unsigned long line, col;

	if (p->error == YAML_READER_ERROR) {
		offset_pos(buf, len, p->problem_offset, &line, &col);
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
static int
ytree_build(struct ytree *t, const unsigned char *buf, size_t len, size_t max_depth,
            struct kx_diags *d)
{
	yaml_parser_t p;
	yaml_event_t ev;
	struct ynode **stack;
	struct ynode *n;
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

enum ytype { YV_NULL, YV_BOOL, YV_INT, YV_FLOAT, YV_STR, YV_SEQ, YV_MAP, YV_DATE, YV_BAD };

struct yval {
	enum ytype t;
	long long i;         /* YV_INT, YV_BOOL */
	int big;             /* YV_INT beyond long long (Python would keep it) */
	double f;            /* YV_FLOAT */
	const struct ynode *n;
};

#define YTAG "tag:yaml.org,2002:"

static int is_digit(int c) { return c >= '0' && c <= '9'; }

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
		if (s[j] >= '0' && s[j] <= '5' && is_digit(s[j + 1]))
			j += 2;
		else if (is_digit(s[j]))
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
		for (j = i + 1; is_digit(s[j]) || s[j] == '_'; j++)
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
	for (j = 2; is_digit(s[j]); j++)
		;
	return j > 2 ? j : (size_t)-1;
}

static int
match_float(const char *s)
{
	size_t i = 0, j, e;

	if (strcmp(s, ".nan") == 0 || strcmp(s, ".NaN") == 0 || strcmp(s, ".NAN") == 0)
		return 1;
	if (s[0] == '.' && is_digit(s[1])) {
		for (j = 2; is_digit(s[j]) || s[j] == '_'; j++)
			;
		e = match_exp(s + j);
		return e != (size_t)-1 && s[j + e] == '\0';
	}
	if (s[i] == '-' || s[i] == '+')
		i++;
	if (strcmp(s + i, ".inf") == 0 || strcmp(s + i, ".Inf") == 0 || strcmp(s + i, ".INF") == 0)
		return 1;
	if (!is_digit(s[i]))
		return 0;
	for (j = i + 1; is_digit(s[j]) || s[j] == '_'; j++)
		;
	if (s[j] == '.') {
		for (j++; is_digit(s[j]) || s[j] == '_'; j++)
			;
		e = match_exp(s + j);
		return e != (size_t)-1 && s[j + e] == '\0';
	}
	if (s[j] == ':') {
		j += match_sexa(s + j);
		if (s[j] != '.')
			return 0;
		for (j++; is_digit(s[j]) || s[j] == '_'; j++)
			;
		return s[j] == '\0';
	}
	return 0;
}

static int
match_date(const char *s)
{
	return strlen(s) == 10 && is_digit(s[0]) && is_digit(s[1]) && is_digit(s[2]) && is_digit(s[3]) &&
	       s[4] == '-' && is_digit(s[5]) && is_digit(s[6]) && s[7] == '-' && is_digit(s[8]) && is_digit(s[9]);
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
			if (!is_digit(s[i]))
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
			if (is_digit(s[i]))
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
static void
resolve(const struct ynode *n, struct yval *v)
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
		if (strncmp(t, YTAG, strlen(YTAG)) != 0) {
			v->t = YV_BAD;
			return;
		}
		t += strlen(YTAG);
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
static int
key_is(const struct ynode *k, const char *key)
{
	struct yval v;

	if (k->kind != Y_SCALAR || strcmp(k->text, key) != 0)
		return 0;
	resolve(k, &v);
	return v.t == YV_STR;
}

static int
is_merge_key(const struct ynode *k)
{
	return k->kind == Y_SCALAR && k->plain && strcmp(k->text, "<<") == 0 &&
	       (k->tag == NULL || strcmp(k->tag, YTAG "merge") == 0);
}

/* Value of KEY in mapping m: its own entries first (the last duplicate
 * wins, as in a Python dict), then "<<" merges in order. *budget bounds the
 * work on pathological merge graphs. Sets *kn to the key node if wanted. */
static const struct ynode *
map_get(const struct ynode *m, const char *key, const struct ynode **kn, int *budget)
{
	const struct ynode *r = NULL;
	size_t i;

	if (m == NULL || m->kind != Y_MAP || --*budget < 0)
		return NULL;
	for (i = 0; i + 1 < m->n; i += 2)
		if (key_is(m->kids[i], key)) {
			r = m->kids[i + 1];
			if (kn)
				*kn = m->kids[i];
		}
	if (r)
		return r;
	for (i = 0; i + 1 < m->n; i += 2) {
		const struct ynode *mv = m->kids[i + 1];
		if (!is_merge_key(m->kids[i]))
			continue;
		if (mv->kind == Y_MAP) {
			r = map_get(mv, key, kn, budget);
			if (r)
				return r;
		} else if (mv->kind == Y_SEQ) {
			size_t j;
			for (j = 0; j < mv->n; j++) {
				r = map_get(mv->kids[j], key, kn, budget);
				if (r)
					return r;
			}
		}
	}
	return NULL;
}

/* ---- Python's view of values: repr(), str(), bool(), int(), float() ----- */

struct sbuf {
	char *p;
	size_t len, cap;    /* cap includes the NUL; output is truncated with "..." */
	int full;
};

static void
sb_put(struct sbuf *b, const char *s, size_t n)
{
	if (b->full)
		return;
	if (b->len + n + 4 > b->cap) {
		size_t room = b->cap > b->len + 4 ? b->cap - b->len - 4 : 0;
		memcpy(b->p + b->len, s, room);
		b->len += room;
		memcpy(b->p + b->len, "...", 4);
		b->len += 3;
		b->full = 1;
		return;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

static void sb_puts(struct sbuf *b, const char *s) { sb_put(b, s, strlen(s)); }

/* Python's repr(float): shortest round-trip digits; exponent form when the
 * exponent is < -4 or >= 16; always a '.0' or an exponent. */
static void
py_float_repr(double f, char *out, size_t outsz)
{
	char tmp[40], digits[24];
	int p, exp10 = 0, nd = 0;
	size_t i;
	const char *e;

	if (isnan(f)) {
		snprintf(out, outsz, "nan");
		return;
	}
	if (isinf(f)) {
		snprintf(out, outsz, f < 0 ? "-inf" : "inf");
		return;
	}
	if (f == 0.0) {
		snprintf(out, outsz, signbit(f) ? "-0.0" : "0.0");
		return;
	}
	for (p = 0; p <= 16; p++) {
		snprintf(tmp, sizeof tmp, "%.*e", p, f);
		if (strtod(tmp, NULL) == f)
			break;
	}
	/* tmp = [-]d.ddde[+-]XX */
	for (i = 0; tmp[i] && tmp[i] != 'e'; i++)
		if (is_digit(tmp[i]) && nd < (int)sizeof digits - 1)
			digits[nd++] = tmp[i];
	digits[nd] = '\0';
	e = strchr(tmp, 'e');
	exp10 = e ? atoi(e + 1) : 0;
	while (nd > 1 && digits[nd - 1] == '0')
		digits[--nd] = '\0';
	{
		char res[64];
		size_t r = 0;
		int k;
		if (f < 0)
			res[r++] = '-';
		if (exp10 < -4 || exp10 >= 16) {
			res[r++] = digits[0];
			if (nd > 1) {
				res[r++] = '.';
				for (k = 1; k < nd; k++)
					res[r++] = digits[k];
			}
			snprintf(res + r, sizeof res - r, "e%c%02d", exp10 < 0 ? '-' : '+', exp10 < 0 ? -exp10 : exp10);
		} else if (exp10 < 0) {
			res[r++] = '0';
			res[r++] = '.';
			for (k = -1; k > exp10; k--)
				res[r++] = '0';
			for (k = 0; k < nd; k++)
				res[r++] = digits[k];
			res[r] = '\0';
		} else {
			for (k = 0; k <= exp10; k++)
				res[r++] = k < nd ? digits[k] : '0';
			res[r++] = '.';
			if (nd > exp10 + 1)
				for (k = exp10 + 1; k < nd; k++)
					res[r++] = digits[k];
			else
				res[r++] = '0';
			res[r] = '\0';
		}
		snprintf(out, outsz, "%s", res);
	}
}

static void
py_str_repr(struct sbuf *b, const char *s, size_t len)
{
	char q = '\'';
	size_t i;

	if (memchr(s, '\'', len) && !memchr(s, '"', len))
		q = '"';
	sb_put(b, &q, 1);
	for (i = 0; i < len && !b->full; i++) {
		unsigned char c = (unsigned char)s[i];
		char esc[8];
		if (c == '\\')
			sb_puts(b, "\\\\");
		else if (c == (unsigned char)q)
			sb_puts(b, q == '\'' ? "\\'" : "\\\"");
		else if (c == '\n')
			sb_puts(b, "\\n");
		else if (c == '\r')
			sb_puts(b, "\\r");
		else if (c == '\t')
			sb_puts(b, "\\t");
		else if (c < 0x20 || c == 0x7f) {
			snprintf(esc, sizeof esc, "\\x%02x", c);
			sb_puts(b, esc);
		} else
			sb_put(b, (const char *)&s[i], 1);
	}
	sb_put(b, &q, 1);
}

static void
py_repr(struct sbuf *b, const struct ynode *n, int *budget)
{
	struct yval v;
	char tmp[64];
	size_t i;

	if (--*budget < 0 || b->full) {
		sb_puts(b, "...");
		return;
	}
	resolve(n, &v);
	switch (v.t) {
	case YV_NULL:
		sb_puts(b, "None");
		break;
	case YV_BOOL:
		sb_puts(b, v.i ? "True" : "False");
		break;
	case YV_INT:
		if (v.big) {
			/* Python keeps big integers; show the text without underscores. */
			for (i = 0; i < n->len; i++)
				if (n->text[i] != '_')
					sb_put(b, &n->text[i], 1);
		} else {
			snprintf(tmp, sizeof tmp, "%lld", v.i);
			sb_puts(b, tmp);
		}
		break;
	case YV_FLOAT:
		py_float_repr(v.f, tmp, sizeof tmp);
		sb_puts(b, tmp);
		break;
	case YV_STR:
	case YV_BAD:
		py_str_repr(b, n->text, n->len);
		break;
	case YV_DATE:
		snprintf(tmp, sizeof tmp, "datetime.date(%d, %d, %d)", atoi(n->text), atoi(n->text + 5),
		         atoi(n->text + 8));
		sb_puts(b, tmp);
		break;
	case YV_SEQ:
		sb_puts(b, "[");
		for (i = 0; i < n->n && !b->full; i++) {
			if (i)
				sb_puts(b, ", ");
			py_repr(b, n->kids[i], budget);
		}
		sb_puts(b, "]");
		break;
	case YV_MAP:
		sb_puts(b, "{");
		for (i = 0; i + 1 < n->n && !b->full; i += 2) {
			if (i)
				sb_puts(b, ", ");
			py_repr(b, n->kids[i], budget);
			sb_puts(b, ": ");
			py_repr(b, n->kids[i + 1], budget);
		}
		sb_puts(b, "}");
		break;
	}
}

#define REPR_MAX 160

static const char *
repr(const struct ynode *n, char *out)
{
	struct sbuf b = { out, 0, REPR_MAX, 0 };
	int budget = 1000;

	out[0] = '\0';
	py_repr(&b, n, &budget);
	return out;
}

static const char *
py_type_name(enum ytype t)
{
	switch (t) {
	case YV_NULL: return "NoneType";
	case YV_BOOL: return "bool";
	case YV_INT: return "int";
	case YV_FLOAT: return "float";
	case YV_SEQ: return "list";
	case YV_MAP: return "dict";
	case YV_DATE: return "datetime.date";
	default: return "str";
	}
}

/* Python's str(v), into out (REPR_MAX bytes). */
static const char *
py_str(const struct ynode *n, char *out)
{
	struct yval v;

	resolve(n, &v);
	if (v.t == YV_STR || v.t == YV_BAD) {
		snprintf(out, REPR_MAX, "%s", n->text);
		return out;
	}
	if (v.t == YV_DATE) {
		snprintf(out, REPR_MAX, "%s", n->text);
		return out;
	}
	return repr(n, out);
}

static int
py_truthy(const struct ynode *n)
{
	struct yval v;

	resolve(n, &v);
	switch (v.t) {
	case YV_NULL: return 0;
	case YV_BOOL:
	case YV_INT: return v.i != 0;
	case YV_FLOAT: return v.f != 0.0;
	case YV_STR: return n->len > 0;
	case YV_SEQ:
	case YV_MAP: return n->n > 0;
	default: return 1;
	}
}

static int
py_space(int c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

/* Copy s without surrounding whitespace and without the underscores Python
 * allows between digits. Returns -1 when an underscore is misplaced or the
 * text does not fit. */
static int
py_clean_number(const char *s, size_t len, char *out, size_t outsz)
{
	size_t a = 0, b = len, i, n = 0;

	while (a < b && py_space((unsigned char)s[a]))
		a++;
	while (b > a && py_space((unsigned char)s[b - 1]))
		b--;
	for (i = a; i < b; i++) {
		if (s[i] == '_') {
			if (i == a || i + 1 >= b || !is_digit(s[i - 1]) || !is_digit(s[i + 1]))
				return -1;
			continue;
		}
		if (n + 1 >= outsz)
			return -1;
		out[n++] = s[i];
	}
	out[n] = '\0';
	return 0;
}

/* Python's int(v). Returns 0 with *out (and *trunc when a float lost its
 * fraction), or -1 with Python's exception text in msg. */
static int
py_int(const struct ynode *n, long long *out, int *trunc, char *msg)
{
	struct yval v;
	char buf[REPR_MAX], r[REPR_MAX];

	*trunc = 0;
	resolve(n, &v);
	switch (v.t) {
	case YV_BOOL:
		*out = v.i;
		return 0;
	case YV_INT:
		if (v.big) {
			snprintf(msg, REPR_MAX, "integer %s is too large", repr(n, r));
			return -1;
		}
		*out = v.i;
		return 0;
	case YV_FLOAT:
		if (isnan(v.f)) {
			snprintf(msg, REPR_MAX, "cannot convert float NaN to integer");
			return -1;
		}
		if (isinf(v.f)) {
			snprintf(msg, REPR_MAX, "cannot convert float infinity to integer");
			return -1;
		}
		if (fabs(v.f) >= 9.2e18) {
			snprintf(msg, REPR_MAX, "integer %s is too large", repr(n, r));
			return -1;
		}
		*out = (long long)v.f;
		*trunc = (double)*out != v.f;
		return 0;
	case YV_STR:
	case YV_BAD: {
		size_t i = 0;
		int neg = 0;
		unsigned long long acc = 0;
		if (py_clean_number(n->text, n->len, buf, sizeof buf) == 0) {
			if (buf[i] == '-' || buf[i] == '+')
				neg = buf[i++] == '-';
			if (is_digit(buf[i])) {
				for (; is_digit(buf[i]); i++) {
					if (acc > (unsigned long long)LLONG_MAX / 10) {
						snprintf(msg, REPR_MAX, "integer %s is too large", repr(n, r));
						return -1;
					}
					acc = acc * 10 + (unsigned long long)(buf[i] - '0');
				}
				if (buf[i] == '\0' && acc <= (unsigned long long)LLONG_MAX) {
					*out = neg ? -(long long)acc : (long long)acc;
					return 0;
				}
			}
		}
		snprintf(msg, REPR_MAX, "invalid literal for int() with base 10: %s", repr(n, r));
		return -1;
	}
	default:
		snprintf(msg, REPR_MAX,
		         "int() argument must be a string, a bytes-like object or a real number, not '%s'",
		         py_type_name(v.t));
		return -1;
	}
}

/* Python's float(v). Returns 0, or -1 with Python's exception text. */
static int
py_float(const struct ynode *n, double *out, char *msg)
{
	struct yval v;
	char buf[REPR_MAX], r[REPR_MAX], *end;

	resolve(n, &v);
	switch (v.t) {
	case YV_BOOL:
		*out = (double)v.i;
		return 0;
	case YV_INT:
		if (v.big) {
			char digits[REPR_MAX];
			repr(n, digits);
			*out = strtod(digits, NULL);
			if (isinf(*out)) {
				snprintf(msg, REPR_MAX, "int too large to convert to float");
				return -1;
			}
			return 0;
		}
		*out = (double)v.i;
		return 0;
	case YV_FLOAT:
		*out = v.f;
		return 0;
	case YV_STR:
	case YV_BAD:
		if (py_clean_number(n->text, n->len, buf, sizeof buf) == 0 && buf[0]) {
			const char *p = buf + (buf[0] == '-' || buf[0] == '+');
			char low[16];
			size_t i;
			for (i = 0; i < sizeof low - 1 && p[i]; i++)
				low[i] = (char)(p[i] >= 'A' && p[i] <= 'Z' ? p[i] - 'A' + 'a' : p[i]);
			low[i] = '\0';
			if (p[i] == '\0' && (strcmp(low, "inf") == 0 || strcmp(low, "infinity") == 0)) {
				*out = buf[0] == '-' ? -INFINITY : INFINITY;
				return 0;
			}
			if (p[i] == '\0' && strcmp(low, "nan") == 0) {
				*out = NAN;
				return 0;
			}
			/* digits[.digits][e[sign]digits] or .digits[...]: strtod would also
			 * take hex and "infinity" spellings, so check the shape first. */
			{
				size_t j = 0, nd = 0;
				while (is_digit(p[j]))
					j++, nd++;
				if (p[j] == '.')
					for (j++; is_digit(p[j]); j++)
						nd++;
				if (nd > 0 && (p[j] == 'e' || p[j] == 'E')) {
					size_t k = j + 1;
					if (p[k] == '-' || p[k] == '+')
						k++;
					if (is_digit(p[k])) {
						while (is_digit(p[k]))
							k++;
						j = k;
					}
				}
				if (nd > 0 && p[j] == '\0') {
					*out = strtod(buf, &end);
					return 0;
				}
			}
		}
		snprintf(msg, REPR_MAX, "could not convert string to float: %s", repr(n, r));
		return -1;
	default:
		snprintf(msg, REPR_MAX, "float() argument must be a string or a real number, not '%s'",
		         py_type_name(v.t));
		return -1;
	}
}

/* ---- validate_config ------------------------------------------------------ */

struct vctx {
	const char *file;
	struct kx_diags *d;
	const struct kx_limits *lim;
	size_t errors;         /* error-level problems added by this read */
	int budget;
};

static void problem(struct vctx *c, enum kx_severity sev, const struct ynode *at,
                    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static void
problem(struct vctx *c, enum kx_severity sev, const struct ynode *at, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	if (sev == KX_SEV_ERROR)
		c->errors++;
	kx_diags_add(c->d, sev, c->file, at ? at->line : 1, at ? at->col : 1, NULL, "%s", msg);
}

static struct kx_yaml_mark
mark_of(const struct ynode *n)
{
	struct kx_yaml_mark m = { 1, 1, 0 };

	if (n) {
		m.line = n->line;
		m.col = n->col;
	}
	return m;
}

/* The mark of a key's value, or of the enclosing key when it is absent. */
static struct kx_yaml_mark
mark_or(const struct ynode *n, const struct ynode *enclosing)
{
	struct kx_yaml_mark m = mark_of(n ? n : enclosing);

	m.dflt = n == NULL;
	return m;
}

static const struct ynode *
get(struct vctx *c, const struct ynode *m, const char *key)
{
	c->budget = 100000;
	return map_get(m, key, NULL, &c->budget);
}

/* Warn about keys the library ignores (typos silently give defaults), and
 * about duplicates. With only_near, warn only when a known key is close. */
static void
check_keys(struct vctx *c, const struct ynode *m, const char *section,
           const char *const *known, int only_near)
{
	size_t i, j, k;

	if (m == NULL || m->kind != Y_MAP)
		return;
	for (i = 0; i + 1 < m->n; i += 2) {
		const struct ynode *kn = m->kids[i];
		struct yval kv;
		const char *near;
		int found = 0;

		if (is_merge_key(kn))
			continue;
		resolve(kn, &kv);
		if (kn->kind != Y_SCALAR || kv.t != YV_STR)
			continue;
		for (j = 0; known[j]; j++)
			if (strcmp(kn->text, known[j]) == 0)
				found = 1;
		if (found) {
			for (k = i + 2; k + 1 < m->n; k += 2)
				if (key_is(m->kids[k], kn->text)) {
					problem(c, KX_SEV_WARNING, m->kids[k], "duplicate key '%s%s%s' (the last one wins)",
					        section, *section ? "." : "", kn->text);
					break;
				}
			continue;
		}
		near = kx_cli_nearest(kn->text, known);
		if (near && strlen(kn->text) < 2)
			near = NULL;
		if (near)
			problem(c, KX_SEV_WARNING, kn, "unknown key '%s%s%s' is ignored; did you mean '%s'?",
			        section, *section ? "." : "", kn->text, near);
		else if (!only_near)
			problem(c, KX_SEV_WARNING, kn, "unknown key '%s%s%s' is ignored", section,
			        *section ? "." : "", kn->text);
	}
}

/* An int field: int(v) with the library's bound check. */
static void
int_field(struct vctx *c, const struct ynode *sec, const char *section, const char *key,
          long long def, long long *out, const struct ynode **at)
{
	const struct ynode *n = get(c, sec, key);
	char msg[REPR_MAX], r[REPR_MAX];
	int trunc;

	*out = def;
	if (at)
		*at = n;
	if (n == NULL)
		return;
	if (py_int(n, out, &trunc, msg) != 0) {
		problem(c, KX_SEV_ERROR, n, "%s.%s: %s", section, key, msg);
		*out = def;
		return;
	}
	if (trunc)
		problem(c, KX_SEV_WARNING, n, "%s.%s is %s; the library truncates it to %lld", section, key,
		        repr(n, r), *out);
}

static void
float_field(struct vctx *c, const struct ynode *sec, const char *section, const char *key,
            double def, double *out, int *ok)
{
	const struct ynode *n = get(c, sec, key);
	char msg[REPR_MAX];

	*out = def;
	*ok = 1;
	if (n == NULL)
		return;
	if (py_float(n, out, msg) != 0) {
		problem(c, KX_SEV_ERROR, n, "%s.%s: %s", section, key, msg);
		*out = def;
		*ok = 0;
	}
}

static int
str_field(struct vctx *c, const struct ynode *sec, const char *key, const char *def, char **out)
{
	const struct ynode *n = get(c, sec, key);
	char buf[REPR_MAX];

	*out = xstrdup(n ? py_str(n, buf) : def);
	return *out ? 0 : -1;
}

/* The `raw.get(NAME, {}) or {}` sections: NULL when absent or falsy. */
static const struct ynode *
section(struct vctx *c, const struct ynode *root, const char *name)
{
	const struct ynode *s = get(c, root, name);

	if (s == NULL || !py_truthy(s))
		return NULL;
	if (s->kind != Y_MAP) {
		problem(c, KX_SEV_ERROR, s, "%s must be a mapping", name);
		return NULL;
	}
	return s;
}

static const char *const root_keys[] = { "model", "training", "checkpoint", NULL };
static const char *const model_keys[] = { "layers", "grid_size", "spline_order", "base_activation",
	"grid_range", "regularization_factor", NULL };
static const char *const training_keys[] = { "lr", "epochs", "batch_size", "loss", "optimizer",
	"val_split", "early_stopping_patience", "seed", NULL };
static const char *const checkpoint_keys[] = { "dir", "filename", "save_best_only", "monitor", NULL };

/* Report unknown tags and malformed merges anywhere (yaml.safe_load refuses
 * the whole document for either). */
static void
check_nodes(struct vctx *c, const struct ytree *t)
{
	const struct ynode *n;
	struct yval v;
	char r[REPR_MAX];
	size_t i, j;

	for (n = t->all; n; n = n->chain) {
		if (n->kind == Y_SCALAR) {
			resolve(n, &v);
			if (v.t == YV_BAD && n->tag && strncmp(n->tag, YTAG, strlen(YTAG)) == 0)
				problem(c, KX_SEV_ERROR, n, "cannot read %s as a %s", repr(n, r),
				        n->tag + strlen(YTAG));
			else if (v.t == YV_BAD)
				problem(c, KX_SEV_ERROR, n, "could not determine a constructor for the tag '%s'",
				        n->tag);
		} else if (n->tag && strcmp(n->tag, "!") != 0 &&
		           strcmp(n->tag, n->kind == Y_SEQ ? YTAG "seq" : YTAG "map") != 0 &&
		           !(n->kind == Y_MAP && (strcmp(n->tag, YTAG "omap") == 0))) {
			problem(c, KX_SEV_ERROR, n, "could not determine a constructor for the tag '%s'", n->tag);
		}
		if (n->kind != Y_MAP)
			continue;
		for (i = 0; i + 1 < n->n; i += 2) {
			const struct ynode *mv = n->kids[i + 1];
			int ok = 1;
			if (!is_merge_key(n->kids[i]))
				continue;
			if (mv->kind == Y_SEQ) {
				for (j = 0; j < mv->n; j++)
					if (mv->kids[j]->kind != Y_MAP)
						ok = 0;
			} else if (mv->kind != Y_MAP) {
				ok = 0;
			}
			if (!ok)
				problem(c, KX_SEV_ERROR, mv, "expected a mapping or list of mappings for merging");
		}
	}
}

static int
validate(struct vctx *c, const struct ytree *t, struct kx_kancfg *cfg)
{
	const struct ynode *root = t->root, *model, *n, *tr, *ck, *mkey = NULL;
	struct yval v;
	char msg[REPR_MAX], r[REPR_MAX];
	long long ll;
	int ok;

	check_nodes(c, t);
	/* yaml.safe_load(f) or {} */
	if (root && !py_truthy(root))
		root = NULL;
	if (root && root->kind != Y_MAP) {
		problem(c, KX_SEV_ERROR, root, "Config root must be a mapping");
		return 0;
	}
	check_keys(c, root, "", root_keys, 1);

	/* ---- model ---- */
	c->budget = 100000;
	model = map_get(root, "model", &mkey, &c->budget);
	cfg->at_model = mark_of(model ? model : root);
	if (model == NULL || model->kind != Y_MAP) {
		problem(c, KX_SEV_ERROR, model ? model : root, "Config must contain a 'model' mapping");
		model = NULL;
	} else {
		check_keys(c, model, "model", model_keys, 0);
		n = get(c, model, "layers");
		cfg->at_layers = mark_or(n, mkey);
		if (n == NULL || n->kind != Y_SEQ || n->n < 2) {
			problem(c, KX_SEV_ERROR, n ? n : mkey,
			        "model.layers must be a list of >= 2 positive integers");
		} else {
			size_t i;
			cfg->layers = kx_mallocarray(n->n, sizeof *cfg->layers);
			cfg->at_layer = kx_mallocarray(n->n, sizeof *cfg->at_layer);
			if (cfg->layers == NULL || cfg->at_layer == NULL)
				return -1;
			cfg->n_layers = n->n;
			for (i = 0; i < n->n; i++) {
				const struct ynode *w = n->kids[i];
				resolve(w, &v);
				cfg->at_layer[i] = mark_of(w);
				cfg->layers[i] = 0;
				if ((v.t != YV_INT && v.t != YV_BOOL) || v.i <= 0) {
					problem(c, KX_SEV_ERROR, w, "model.layers entries must be positive ints, got %s",
					        repr(w, r));
					continue;
				}
				if (v.t == YV_BOOL)
					problem(c, KX_SEV_WARNING, w,
					        "model.layers entry %s is a boolean; the library reads it as 1", w->text);
				if (v.big || (unsigned long long)v.i > c->lim->max_width) {
					problem(c, KX_SEV_ERROR, w, "model.layers entry %s is over kanx's limit of %zu features",
					        repr(w, r), c->lim->max_width);
					continue;
				}
				cfg->layers[i] = (size_t)v.i;
			}
			if (n->n - 1 > c->lim->max_layers)
				problem(c, KX_SEV_ERROR, n, "model.layers has %zu layers, over kanx's limit of %zu",
				        n->n - 1, c->lim->max_layers);
		}

		/* grid_range = tuple(m.get("grid_range", (-1.0, 1.0))) */
		n = get(c, model, "grid_range");
		cfg->at_grid_range = mark_or(n, mkey);
		if (n) {
			resolve(n, &v);
			if (v.t != YV_SEQ) {
				if (v.t == YV_STR || v.t == YV_MAP)
					problem(c, KX_SEV_ERROR, n, "model.grid_range must be [low, high] with low < high");
				else
					problem(c, KX_SEV_ERROR, n, "model.grid_range: '%s' object is not iterable",
					        py_type_name(v.t));
			} else if (n->n != 2) {
				problem(c, KX_SEV_ERROR, n, "model.grid_range must be [low, high] with low < high");
			} else {
				double lo, hi;
				int okl = py_float(n->kids[0], &lo, msg) == 0;
				if (!okl)
					problem(c, KX_SEV_ERROR, n->kids[0], "model.grid_range: %s", msg);
				ok = py_float(n->kids[1], &hi, msg) == 0;
				if (!ok)
					problem(c, KX_SEV_ERROR, n->kids[1], "model.grid_range: %s", msg);
				if (okl && ok) {
					if (lo >= hi)
						problem(c, KX_SEV_ERROR, n, "model.grid_range must be [low, high] with low < high");
					else if (!isfinite(lo) || !isfinite(hi))
						problem(c, KX_SEV_ERROR, n, "model.grid_range must be finite, got %s",
						        repr(n, r));
					cfg->grid_range[0] = lo;
					cfg->grid_range[1] = hi;
				}
			}
		}

		int_field(c, model, "model", "grid_size", 5, &ll, &n);
		cfg->at_grid_size = mark_or(n, mkey);
		if (ll <= 0)
			problem(c, KX_SEV_ERROR, n, "model.grid_size must be > 0");
		else if ((unsigned long long)ll > c->lim->max_grid)
			problem(c, KX_SEV_ERROR, n, "model.grid_size %lld is over kanx's limit of %zu", ll,
			        c->lim->max_grid);
		else
			cfg->grid_size = (size_t)ll;

		int_field(c, model, "model", "spline_order", 3, &ll, &n);
		cfg->at_spline_order = mark_or(n, mkey);
		if (ll < 1)
			problem(c, KX_SEV_ERROR, n, "model.spline_order must be >= 1");
		else if ((unsigned long long)ll > c->lim->max_order)
			problem(c, KX_SEV_ERROR, n, "model.spline_order %lld is over kanx's limit of %zu", ll,
			        c->lim->max_order);
		else
			cfg->spline_order = (size_t)ll;

		n = get(c, model, "base_activation");
		cfg->at_base_activation = mark_or(n, mkey);
		if (str_field(c, model, "base_activation", "silu", &cfg->base_activation) != 0)
			return -1;
		if (kx_act_lookup(cfg->base_activation, &cfg->act) != 0)
			problem(c, KX_SEV_ERROR, n, "model.base_activation: unknown activation '%s'",
			        cfg->base_activation);
		else if (cfg->act.kind == KX_ACT_GLU)
			problem(c, KX_SEV_ERROR, n,
			        "model.base_activation: '%s' halves the width and cannot be a KAN base activation",
			        cfg->base_activation);

		float_field(c, model, "model", "regularization_factor", 0.0, &cfg->regularization_factor, &ok);
	}

	/* ---- training ---- */
	tr = section(c, root, "training");
	check_keys(c, tr, "training", training_keys, 0);
	float_field(c, tr, "training", "lr", 1e-3, &cfg->lr, &ok);
	n = get(c, tr, "lr");
	if (ok && cfg->lr <= 0)
		problem(c, KX_SEV_ERROR, n, "training.lr must be > 0");
	else if (ok && !isfinite(cfg->lr))
		problem(c, KX_SEV_WARNING, n, "training.lr is %s; the library accepts it but training will fail",
		        repr(n, r));
	int_field(c, tr, "training", "epochs", 50, &cfg->epochs, &n);
	if (cfg->epochs <= 0)
		problem(c, KX_SEV_ERROR, n, "training.epochs must be > 0");
	int_field(c, tr, "training", "batch_size", 32, &cfg->batch_size, &n);
	if (cfg->batch_size <= 0)
		problem(c, KX_SEV_ERROR, n, "training.batch_size must be > 0");
	if (str_field(c, tr, "loss", "mse", &cfg->loss) != 0 ||
	    str_field(c, tr, "optimizer", "adam", &cfg->optimizer) != 0)
		return -1;
	float_field(c, tr, "training", "val_split", 0.0, &cfg->val_split, &ok);
	if (ok && !(cfg->val_split >= 0.0 && cfg->val_split < 1.0))
		problem(c, KX_SEV_ERROR, get(c, tr, "val_split"), "training.val_split must be in [0, 1)");
	int_field(c, tr, "training", "early_stopping_patience", 0, &cfg->early_stopping_patience, NULL);
	int_field(c, tr, "training", "seed", 42, &cfg->seed, NULL);

	/* ---- checkpoint ---- */
	ck = section(c, root, "checkpoint");
	check_keys(c, ck, "checkpoint", checkpoint_keys, 0);
	if (str_field(c, ck, "dir", "checkpoints", &cfg->ckpt_dir) != 0 ||
	    str_field(c, ck, "filename", "kanx_model.keras", &cfg->ckpt_filename) != 0 ||
	    str_field(c, ck, "monitor", "loss", &cfg->monitor) != 0)
		return -1;
	n = get(c, ck, "save_best_only");
	cfg->save_best_only = n ? py_truthy(n) : 1;
	return 0;
}

/* ---- entry points --------------------------------------------------------- */

/* Stable insertion sort by (line, column): a config has few problems. */
static void
sort_diags(struct kx_diag *v, size_t n)
{
	size_t i, j;

	for (i = 1; i < n; i++) {
		struct kx_diag x = v[i];
		for (j = i; j > 0 && (v[j - 1].line > x.line ||
		                      (v[j - 1].line == x.line && v[j - 1].col > x.col)); j--)
			v[j] = v[j - 1];
		v[j] = x;
	}
}

void
kx_kancfg_free(struct kx_kancfg *c)
{
	if (c == NULL)
		return;
	free(c->path);
	free(c->layers);
	free(c->at_layer);
	free(c->base_activation);
	free(c->loss);
	free(c->optimizer);
	free(c->ckpt_dir);
	free(c->ckpt_filename);
	free(c->monitor);
	free(c);
}

int
kx_kancfg_read_mem(const char *name, const void *buf, size_t len, const struct kx_limits *lim,
                   struct kx_kancfg **out, struct kx_diags *d, struct kx_err *e)
{
	struct ytree t;
	struct vctx c;
	struct kx_kancfg *cfg;
	size_t first;
	int rc;

	*out = NULL;
	memset(&t, 0, sizeof t);
	memset(&c, 0, sizeof c);
	t.file = name;
	c.file = name;
	c.d = d;
	c.lim = lim;
	if (len > lim->config_bytes) {
		kx_diags_add(d, KX_SEV_ERROR, name, 0, 0, NULL,
		             "config is %zu bytes, over the limit of %zu bytes", len, lim->config_bytes);
		return 0;
	}
	cfg = calloc(1, sizeof *cfg);
	if (cfg == NULL)
		goto oom;
	cfg->path = xstrdup(name);
	if (cfg->path == NULL)
		goto oom;
	cfg->grid_size = 5;
	cfg->spline_order = 3;
	cfg->grid_range[0] = -1.0;
	cfg->grid_range[1] = 1.0;
	kx_act_lookup("silu", &cfg->act);

	rc = ytree_build(&t, buf, len, lim->json_depth, d);
	if (rc < 0)
		goto oom;
	if (rc > 0) {
		ytree_free(&t);
		kx_kancfg_free(cfg);
		return 0;
	}
	first = d->n;
	if (validate(&c, &t, cfg) != 0)
		goto oom;
	/* Report in document order (validate runs in the library's order). */
	if (d->n > first + 1)
		sort_diags(d->v + first, d->n - first);
	ytree_free(&t);
	if (c.errors > 0 || d->oom) {
		kx_kancfg_free(cfg);
		return 0;
	}
	*out = cfg;
	return 0;
oom:
	ytree_free(&t);
	kx_kancfg_free(cfg);
	return kx_err_set(e, KX_EXIT_INTERNAL, "%s: out of memory", name);
}

int
kx_kancfg_read(const char *path, const struct kx_limits *lim, struct kx_kancfg **out,
               struct kx_diags *d, struct kx_err *e)
{
	FILE *f;
	unsigned char *buf;
	size_t len = 0, cap = lim->config_bytes + 1, got;
	int rc;

	*out = NULL;
	f = fopen(path, "rb");
	if (f == NULL) {
		if (errno == ENOENT)
			return kx_err_set(e, KX_EXIT_IO, "Config file not found: %s", path);
		return kx_err_set(e, KX_EXIT_IO, "%s: %s", path, strerror(errno));
	}
	if (cap > (size_t)1 << 20)
		cap = (size_t)1 << 20;
	buf = malloc(cap);
	if (buf == NULL) {
		fclose(f);
		return kx_err_set(e, KX_EXIT_INTERNAL, "%s: out of memory", path);
	}
	for (;;) {
		if (len == cap) {
			unsigned char *nb;
			size_t ncap = cap * 2;
			if (cap > lim->config_bytes)  /* already one byte over: enough to refuse */
				break;
			if (ncap > lim->config_bytes + 1)
				ncap = lim->config_bytes + 1;
			nb = realloc(buf, ncap);
			if (nb == NULL) {
				free(buf);
				fclose(f);
				return kx_err_set(e, KX_EXIT_INTERNAL, "%s: out of memory", path);
			}
			buf = nb;
			cap = ncap;
		}
		got = fread(buf + len, 1, cap - len, f);
		len += got;
		if (got == 0)
			break;
	}
	if (ferror(f)) {
		int err = errno;
		free(buf);
		fclose(f);
		return kx_err_set(e, KX_EXIT_IO, "%s: %s", path, strerror(err ? err : EIO));
	}
	fclose(f);
	rc = kx_kancfg_read_mem(path, buf, len, lim, out, d, e);
	free(buf);
	return rc;
}

static void
append_diag(struct kx_err *e, const struct kx_diag *x)
{
	if (x->line)
		kx_err_add(e, KX_EXIT_BADMODEL, "%s:%lu:%lu: %s", x->file ? x->file : "-", x->line, x->col, x->msg);
	else
		kx_err_add(e, KX_EXIT_BADMODEL, "%s: %s", x->file ? x->file : "-", x->msg);
}

struct kx_kancfg *
kx_kancfg_load(const char *path, const struct kx_limits *lim,
               void (*warn)(void *ctx, const char *msg), void *ctx, struct kx_err *e)
{
	struct kx_diags d;
	struct kx_kancfg *cfg = NULL;
	size_t i;

	kx_diags_init(&d);
	kx_err_clear(e);
	if (kx_kancfg_read(path, lim, &cfg, &d, e) != 0) {
		kx_diags_free(&d);
		return NULL;
	}
	for (i = 0; i < d.n; i++) {
		const struct kx_diag *x = &d.v[i];
		if (x->sev == KX_SEV_ERROR) {
			append_diag(e, x);
		} else if (warn) {
			char buf[1200];
			if (x->line)
				snprintf(buf, sizeof buf, "%s:%lu:%lu: %s", x->file, x->line, x->col, x->msg);
			else
				snprintf(buf, sizeof buf, "%s: %s", x->file, x->msg);
			warn(ctx, buf);
		}
	}
	if (cfg == NULL && e->code == 0)
		kx_err_set(e, KX_EXIT_BADMODEL, "%s: invalid config", path);
	kx_diags_free(&d);
	return cfg;
}
