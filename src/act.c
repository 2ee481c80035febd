/* act.c - (being written) */
#include "act.h"
typedef int kx_act_placeholder;
