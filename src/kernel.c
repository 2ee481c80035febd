/* kernel.c - (being written) */
#include "kernel.h"
typedef int kx_kernel_placeholder;
