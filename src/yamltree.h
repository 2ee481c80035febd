/* yamltree.h - a YAML document as a tree of nodes that keep their line and
 * column (libyaml events; anchors and aliases shared, never expanded), and
 * YAML 1.1 scalars resolved to typed values the way PyYAML's safe_load
 * resolves them (yes/no booleans, 0x/0o integers, sexagesimals, dates).
 * Used by the config reader (yamlcfg.c) and Python's view of values
 * (pyval.c). */
#ifndef KX_YAMLTREE_H
#define KX_YAMLTREE_H

#include <stddef.h>
#include "diag.h"

/* The tag prefix of YAML's core types ("tag:yaml.org,2002:int"). */
#define KX_YTAG "tag:yaml.org,2002:"

/* An ASCII decimal digit (not the locale's isdigit). */
static inline int kx_is_digit(int c) { return c >= '0' && c <= '9'; }

enum kx_ykind { Y_SCALAR, Y_SEQ, Y_MAP };

/* One node. Owned by the tree (t->all chains every node). */
struct kx_ynode {
	enum kx_ykind kind;
	unsigned long line, col;   /* 1-based */
	char *text;                /* scalar value (NUL-terminated) */
	size_t len;
	int plain;                 /* a plain (unquoted) scalar: resolved implicitly */
	char *tag;                 /* explicit tag, or NULL */
	struct kx_ynode **kids;       /* seq: items; map: key, value, key, value, ... */
	size_t n, cap;
	int done;                  /* the end event was seen (aliases may point here) */
	struct kx_ynode *chain;       /* every node, for freeing */
};

struct kx_yanchor {
	char *name;
	struct kx_ynode *node;
};

/* A document: zero-initialise, then kx_ytree_build; free with kx_ytree_free. */
struct kx_ytree {
	const char *file;
	struct kx_ynode *root;
	struct kx_ynode *all;
	struct kx_yanchor *anchors;
	size_t n_anchors, cap_anchors;
	int oom;
};

enum kx_ytype { YV_NULL, YV_BOOL, YV_INT, YV_FLOAT, YV_STR, YV_SEQ, YV_MAP, YV_DATE, YV_BAD };

/* A node resolved to a type and, for scalars, a value. */
struct kx_yval {
	enum kx_ytype t;
	long long i;         /* YV_INT, YV_BOOL */
	int big;             /* YV_INT beyond long long (Python would keep it) */
	double f;            /* YV_FLOAT */
	const struct kx_ynode *n;
};

/* Build the tree of buf[len] (no NUL needed) in t, whose file names the
 * problems. Problems (syntax, nesting deeper than max_depth) go to d with
 * their line and column. Returns 0 (t->root NULL for an empty stream), 1
 * when a problem was added (no usable tree), -1 when memory ran out. The
 * tree is t's either way: kx_ytree_free. */
int kx_ytree_build(struct kx_ytree *t, const unsigned char *buf, size_t len, size_t max_depth,
                   struct kx_diags *d);

/* Free every node and anchor of t (not t itself). */
void kx_ytree_free(struct kx_ytree *t);

/* Resolve a node to a typed value the way yaml.safe_load would. Unknown
 * tags give YV_BAD. v->n is n; nothing is allocated. */
void kx_yaml_resolve(const struct kx_ynode *n, struct kx_yval *v);

/* Whether k is a scalar key that resolves to the string KEY; whether it
 * is the merge key "<<". */
int kx_ykey_is(const struct kx_ynode *k, const char *key);
int kx_ykey_is_merge(const struct kx_ynode *k);

/* Value of KEY in mapping m: its own entries first (the last duplicate
 * wins, as in a Python dict), then "<<" merges in order. *budget bounds the
 * work on pathological merge graphs. Sets *kn to the key node if kn is not
 * NULL. NULL when absent. */
const struct kx_ynode *kx_ymap_get(const struct kx_ynode *m, const char *key,
                                   const struct kx_ynode **kn, int *budget);

#endif
