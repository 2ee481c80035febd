/* ofile.h - an output file that is replaced whole or not at all (-o FILE).
 *
 * kx_ofile_open creates a temporary file next to FILE (in the same
 * directory, so that rename(2) can put it in place: ".NAME.kanx-XXXXXX"),
 * with FILE's permissions when FILE exists, else 0666 less the umask.
 * The command writes to f->fd; kx_ofile_commit then flushes it to disk
 * (fsync), renames it over FILE and syncs the directory; kx_ofile_abort
 * removes it, leaving FILE as it was (or absent). A symbolic link FILE is
 * followed: the file it points to is replaced and the link kept.
 * An existing FILE that is not a regular file (a FIFO, a terminal,
 * /dev/null) cannot be replaced: it is opened and written directly.
 *
 * While the temporary file exists it is named to stop.h, which removes it
 * if a second signal ends kanx at once. */
#ifndef KX_OFILE_H
#define KX_OFILE_H

#include "err.h"

struct kx_ofile {
	char *path;     /* FILE as given, for messages */
	char *target;   /* what the temporary file is renamed to */
	char *tmp;      /* the temporary file; NULL when FILE is written directly */
	int fd;         /* -1 when closed */
	int existed;    /* FILE existed when opened */
};

/* Open FILE for writing as above. Returns 0, or -1 with e set
 * (KX_EXIT_IO: the directory cannot be written, FILE is a directory;
 * KX_EXIT_INTERNAL: out of memory), having freed what it took. */
int kx_ofile_open(struct kx_ofile *f, const char *path, struct kx_err *e);

/* Sync, close, and rename the temporary file over FILE. Returns 0, or -1
 * with e set (KX_EXIT_IO); the temporary file is removed either way. */
int kx_ofile_commit(struct kx_ofile *f, struct kx_err *e);

/* Close and remove the temporary file (FILE is left as it was). Safe on
 * an ofile that failed to open, was committed or aborted already. */
void kx_ofile_abort(struct kx_ofile *f);

#endif
