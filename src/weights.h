/* weights.h - (being written) */
#ifndef KX_WEIGHTS_H
#define KX_WEIGHTS_H
#endif
