/* yamlcfg.c - (being written) */
#include "yamlcfg.h"
typedef int kx_yamlcfg_placeholder;
