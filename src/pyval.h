/* pyval.h - Python's view of YAML values, as the kanx library sees the
 * values yaml.safe_load gives it: repr(), str(), bool(), int(), float(),
 * and type names, with Python's exception texts. For the config reader's
 * messages, which are the library's own. */
#ifndef KX_PYVAL_H
#define KX_PYVAL_H

#include "yamltree.h"

/* The size of the buffers below (out, msg): longer text is cut with "...". */
#define KX_REPR_MAX 160

/* Python's repr(v) of node n, into out (KX_REPR_MAX bytes); returns out. */
const char *kx_py_repr(const struct kx_ynode *n, char *out);

/* Python's type name of a resolved value ("int", "str", "NoneType"). */
const char *kx_py_type_name(enum kx_ytype t);

/* Python's str(v), into out (KX_REPR_MAX bytes); returns out. */
const char *kx_py_str(const struct kx_ynode *n, char *out);

/* Python's bool(v): 1 or 0. */
int kx_py_truthy(const struct kx_ynode *n);

/* Python's int(v). Returns 0 with *out (and *trunc set when a float lost
 * its fraction), or -1 with Python's exception text in msg (KX_REPR_MAX
 * bytes). */
int kx_py_int(const struct kx_ynode *n, long long *out, int *trunc, char *msg);

/* Python's float(v). Returns 0 with *out, or -1 with Python's exception
 * text in msg (KX_REPR_MAX bytes). */
int kx_py_float(const struct kx_ynode *n, double *out, char *msg);

#endif
