/* model.c - (being written) */
#include "model.h"
typedef int kx_model_placeholder;
