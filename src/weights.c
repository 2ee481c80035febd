/* weights.c - (being written) */
#include "weights.h"
typedef int kx_weights_placeholder;
