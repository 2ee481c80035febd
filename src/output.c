/* output.c - (being written) */
#include "output.h"
typedef int kx_output_placeholder;
