/* numfmt.h - (being written) */
#ifndef KX_NUMFMT_H
#define KX_NUMFMT_H
#endif
