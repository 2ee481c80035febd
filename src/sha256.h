/* sha256.h - SHA-256 (FIPS 180-4), for checkpoint fingerprints. */
#ifndef KX_SHA256_H
#define KX_SHA256_H

#include <stddef.h>
#include <stdint.h>

/* Hash len bytes of data into out[32]. */
void kx_sha256(const void *data, size_t len, unsigned char out[32]);

/* Write the 64 hex digits (and a NUL) of a digest into hex[65]. */
void kx_sha256_hex(const unsigned char d[32], char hex[65]);

#endif
