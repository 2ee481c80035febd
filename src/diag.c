/* diag.c - the list of positioned problems. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "diag.h"
#include "kxlimits.h"

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
	if (kx_grow_max(&d->v, &d->cap, d->n + 1, KX_DIAGS_MAX, sizeof *d->v) != 0)
		goto oom;
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
	x->file = file ? strdup(file) : NULL;
	x->where = where ? strdup(where) : NULL;
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
