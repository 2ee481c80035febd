/* archive.c - (being written) */
#include "archive.h"
typedef int kx_archive_placeholder;
