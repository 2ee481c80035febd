/* numfmt.c - (being written) */
#include "numfmt.h"
typedef int kx_numfmt_placeholder;
