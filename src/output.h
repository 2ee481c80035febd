/* output.h - (being written) */
#ifndef KX_OUTPUT_H
#define KX_OUTPUT_H
#endif
