/* yamlcfg.h - (being written) */
#ifndef KX_YAMLCFG_H
#define KX_YAMLCFG_H
#endif
