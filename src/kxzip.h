/* kxzip.h - read a .keras (zip) archive fully into memory.
 *
 * Reads from a path or "-" (stdin). Never extracts to disk, never follows
 * a name inside the archive. Refuses encrypted members, links, devices,
 * absolute or ".." names, duplicate names, and anything over the limits
 * (counting bytes actually inflated). */
#ifndef KX_KXZIP_H
#define KX_KXZIP_H

#include <stddef.h>
#include "err.h"
#include "kxlimits.h"

struct kx_member {
	char *name;
	unsigned char *data;   /* owned; NUL-terminated one byte past size */
	size_t size;
};

struct kx_archive {
	char *path;                 /* as given ("-" for stdin) */
	size_t file_size;           /* bytes of the archive itself */
	unsigned char sha256[32];   /* of the archive bytes */
	struct kx_member *members;
	size_t n_members;
};

/* Read PATH ("-" = stdin). On failure returns NULL with e->code
 * KX_EXIT_NOMODEL (cannot open/read: e->status 404) or KX_EXIT_BADMODEL. */
struct kx_archive *kx_archive_read(const char *path, const struct kx_limits *lim,
                                   struct kx_err *e);

/* Read from an in-memory zip image (for fuzzing and tests). NAME labels
 * messages. The buffer is not kept. */
struct kx_archive *kx_archive_read_mem(const char *name, const void *buf, size_t len,
                                       const struct kx_limits *lim, struct kx_err *e);

/* The member called NAME, or NULL. */
const struct kx_member *kx_archive_find(const struct kx_archive *a, const char *name);

/* Free; accepts NULL. */
void kx_archive_free(struct kx_archive *a);

#endif
