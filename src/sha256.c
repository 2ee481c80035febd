/* sha256.c - (being written) */
#include "sha256.h"
typedef int kx_sha256_placeholder;
