/* ofile.c - an output file replaced whole or not at all (see ofile.h). */
#define _XOPEN_SOURCE 700  /* realpath */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "err.h"
#include "ofile.h"
#include "stop.h"

static char *
join(const char *dir, size_t dlen, const char *base)
{
	size_t blen = strlen(base);
	char *s = malloc(dlen + blen + 16);

	if (s) {
		memcpy(s, dir, dlen);
		memcpy(s + dlen, "/.", 2);
		memcpy(s + dlen + 2, base, blen);
		memcpy(s + dlen + 2 + blen, ".kanx-XXXXXX", 13);
	}
	return s;
}

int
kx_ofile_open(struct kx_ofile *f, const char *path, struct kx_err *e)
{
	struct stat st;
	const char *slash, *base;
	mode_t mode, mask;
	int exists;

	memset(f, 0, sizeof *f);
	f->fd = -1;
	f->path = strdup(path);
	if (!f->path)
		goto oom;
	exists = stat(path, &st) == 0;
	f->existed = exists;
	if (exists && S_ISDIR(st.st_mode)) {
		kx_err_set(e, KX_EXIT_IO, "%s: is a directory", path);
		goto fail;
	}
	if (exists && !S_ISREG(st.st_mode)) {
		/* a FIFO, a device: nothing to rename over */
		f->fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC);
		if (f->fd < 0) {
			kx_err_set(e, KX_EXIT_IO, "%s: cannot open: %s", path, strerror(errno));
			goto fail;
		}
		return 0;
	}
	f->target = exists ? realpath(path, NULL) : NULL;
	if (!f->target)
		f->target = strdup(path);
	if (!f->target)
		goto oom;
	slash = strrchr(f->target, '/');
	base = slash ? slash + 1 : f->target;
	f->tmp = slash ? join(f->target, slash == f->target ? 0 : (size_t)(slash - f->target), base)
	               : join(".", 1, base);
	if (!f->tmp)
		goto oom;
	f->fd = mkstemp(f->tmp);
	if (f->fd < 0) {
		kx_err_set(e, KX_EXIT_IO, "%s: cannot create a file next to it: %s", path, strerror(errno));
		free(f->tmp);
		f->tmp = NULL;
		goto fail;
	}
	kx_stop_tmp(f->tmp);
	if (exists) {
		mode = st.st_mode & 07777;
	} else {
		mask = umask(0);
		umask(mask);
		mode = 0666 & ~mask;
	}
	if (fchmod(f->fd, mode) != 0 || fcntl(f->fd, F_SETFD, FD_CLOEXEC) != 0) {
		kx_err_set(e, KX_EXIT_IO, "%s: %s", f->tmp, strerror(errno));
		goto fail;
	}
	return 0;
oom:
	kx_err_set(e, KX_EXIT_INTERNAL, "out of memory");
fail:
	kx_ofile_abort(f);
	return -1;
}

int
kx_ofile_commit(struct kx_ofile *f, struct kx_err *e)
{
	const char *slash;
	int rc = 0, dfd;

	if (f->fd < 0)
		return 0;
	if (!f->tmp) {
		if (close(f->fd) != 0)
			rc = kx_err_set(e, KX_EXIT_IO, "write error on %s: %s", f->path, strerror(errno));
		f->fd = -1;
		kx_ofile_abort(f);  /* frees the names */
		return rc;
	}
	if (fsync(f->fd) != 0 && errno != EINVAL) {
		kx_err_set(e, KX_EXIT_IO, "write error on %s: %s", f->path, strerror(errno));
		kx_ofile_abort(f);
		return -1;
	}
	if (close(f->fd) != 0) {
		f->fd = -1;
		kx_err_set(e, KX_EXIT_IO, "write error on %s: %s", f->path, strerror(errno));
		kx_ofile_abort(f);
		return -1;
	}
	f->fd = -1;
	if (rename(f->tmp, f->target) != 0) {
		kx_err_set(e, KX_EXIT_IO, "%s: cannot replace it: %s", f->path, strerror(errno));
		kx_ofile_abort(f);
		return -1;
	}
	kx_stop_tmp(NULL);
	/* make the rename itself durable (best effort: not every file system
	 * lets a directory be synced) */
	slash = strrchr(f->tmp, '/');
	if (slash) {
		char *dir = strndup(f->tmp, slash == f->tmp ? 1 : (size_t)(slash - f->tmp));
		if (dir && (dfd = open(dir, O_RDONLY | O_CLOEXEC)) >= 0) {
			(void)fsync(dfd);
			close(dfd);
		}
		free(dir);
	}
	free(f->tmp);
	f->tmp = NULL;
	kx_ofile_abort(f);  /* frees the names */
	return 0;
}

void
kx_ofile_abort(struct kx_ofile *f)
{
	if (f->fd >= 0)
		close(f->fd);
	f->fd = -1;
	if (f->tmp) {
		unlink(f->tmp);
		kx_stop_tmp(NULL);
		free(f->tmp);
		f->tmp = NULL;
	}
	free(f->target);
	f->target = NULL;
	free(f->path);
	f->path = NULL;
}
