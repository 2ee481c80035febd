/* diag.h - a list of positioned problems ("diagnostics"): what validate
 * reports, each with its file, line and column, or archive member and
 * tensor, and its severity. Filled by the config reader (yamlcfg) and the
 * checks behind validate; never printed here. */
#ifndef KX_DIAG_H
#define KX_DIAG_H

#include <stddef.h>

enum kx_severity { KX_SEV_ERROR = 0, KX_SEV_WARNING = 1 };

struct kx_diag {
	enum kx_severity sev;
	char *file;             /* owned; the file the problem is in, or NULL */
	unsigned long line;     /* 1-based; 0 = no line (then col is 0 too) */
	unsigned long col;      /* 1-based */
	char *member;           /* owned; the archive member the problem is in
	                           ("model.weights.h5"), or NULL; set by the caller
	                           after kx_diags_add (see kx_diags_last) */
	char *where;            /* owned; a non-textual location ("layers/kan_linear/vars/2",
	                           "x[3][1]"), or NULL */
	char *msg;              /* owned; lowercase-or-library wording, no prefix */
	int status;             /* the REST API status the problem maps to (400, 413, 422), or 0;
	                           set by the caller after kx_diags_add (see kx_diags_last) */
};

#define KX_DIAGS_MAX 10000  /* problems kept; later ones are only counted */

struct kx_diags {
	struct kx_diag *v;
	size_t n, cap;
	size_t errors, warnings;   /* all problems added, kept or not */
	size_t dropped;            /* not kept because of KX_DIAGS_MAX */
	int oom;                   /* an allocation failed: the list is incomplete */
	int last_kept;             /* the latest kx_diags_add kept its entry */
};

/* Start empty (or zero-initialise the struct). */
void kx_diags_init(struct kx_diags *d);

/* Add a problem. file and where may be NULL; line 0 = no position.
 * Copies everything. On allocation failure sets d->oom and returns -1
 * (the problem is still counted). Returns 0 otherwise. */
int kx_diags_add(struct kx_diags *d, enum kx_severity sev, const char *file,
                 unsigned long line, unsigned long col, const char *where,
                 const char *fmt, ...) __attribute__((format(printf, 7, 8)));

/* The entry added last, or NULL when it was not kept (KX_DIAGS_MAX, or out
 * of memory). */
struct kx_diag *kx_diags_last(struct kx_diags *d);

/* Free the entries (not d itself); d is left empty. Accepts NULL. */
void kx_diags_free(struct kx_diags *d);

#endif
