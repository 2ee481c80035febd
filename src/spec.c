/* config.c - (being written) */
#include "spec.h"
typedef int kx_spec_placeholder;
