/* rows.c - (being written) */
#include "rows.h"
typedef int kx_rows_placeholder;
