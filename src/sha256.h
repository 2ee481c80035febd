/* sha256.h - (being written) */
#ifndef KX_SHA256_H
#define KX_SHA256_H
#endif
