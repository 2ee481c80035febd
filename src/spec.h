/* spec.h - (being written) */
#ifndef KX_SPEC_H
#define KX_SPEC_H
#endif
