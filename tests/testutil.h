/* tests/testutil.h - helpers shared by the C test programs. */
#ifndef KX_TESTUTIL_H
#define KX_TESTUTIL_H

#include <stddef.h>

/* Read a numeric CSV with a header line (values as strtof reads them,
 * "nan" and "inf" too) into a new array, row-major; *rows, *cols. NULL if
 * the file cannot be read. The caller frees it. */
float *test_read_csv(const char *path, size_t *rows, size_t *cols);

#endif
