/* archive.c - a .keras zip read fully into memory with libarchive. */
#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "archive.h"
#include "kanx.h"
#include "sha256.h"

/* Read all of fd into a buffer of at most cap bytes. */
static unsigned char *
slurp_fd(int fd, const char *label, size_t cap, size_t *len, struct kx_err *e)
{
	unsigned char *buf = NULL, *nb;
	size_t n = 0, size = 0;
	struct stat st;
	ssize_t r;

	if (fstat(fd, &st) == 0) {
		if (S_ISDIR(st.st_mode)) {
			kx_err_set(e, KX_EXIT_NOMODEL, "%s: is a directory", label);
			e->status = 404;
			return NULL;
		}
		if (S_ISREG(st.st_mode) && (uintmax_t)st.st_size > cap) {
			kx_err_set(e, KX_EXIT_BADMODEL, "%s: file of %jd bytes exceeds the limit of %zu bytes",
			           label, (intmax_t)st.st_size, cap);
			return NULL;
		}
		if (S_ISREG(st.st_mode))
			size = (size_t)st.st_size + 1;
	}
	if (size < 65536)
		size = 65536;
	buf = malloc(size);
	if (!buf)
		goto nomem;
	for (;;) {
		if (n == size) {
			size_t ns = size * 2;
			if (size > cap) {
				free(buf);
				kx_err_set(e, KX_EXIT_BADMODEL, "%s: input exceeds the limit of %zu bytes", label, cap);
				return NULL;
			}
			if (ns > cap + 1)
				ns = cap + 1;
			nb = realloc(buf, ns);
			if (!nb)
				goto nomem;
			buf = nb;
			size = ns;
		}
		r = read(fd, buf + n, size - n);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			kx_err_set(e, KX_EXIT_NOMODEL, "%s: read error: %s", label, strerror(errno));
			e->status = 404;
			free(buf);
			return NULL;
		}
		if (r == 0)
			break;
		n += (size_t)r;
		if (n > cap) {
			free(buf);
			kx_err_set(e, KX_EXIT_BADMODEL, "%s: input exceeds the limit of %zu bytes", label, cap);
			return NULL;
		}
	}
	*len = n;
	return buf;
nomem:
	free(buf);
	kx_err_set(e, KX_EXIT_INTERNAL, "%s: out of memory", label);
	return NULL;
}

/* A member name must be a plain relative path: no "/" prefix, no "..",
 * no backslash or control characters. */
static int
name_ok(const char *n)
{
	const char *p;

	if (n[0] == '\0' || n[0] == '/')
		return 0;
	for (p = n; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == '\\' || *p == 0x7f)
			return 0;
	for (p = n; p; p = strchr(p, '/')) {
		if (*p == '/')
			p++;
		if (strncmp(p, "..", 2) == 0 && (p[2] == '/' || p[2] == '\0'))
			return 0;
	}
	return 1;
}

void
kx_archive_free(struct kx_archive *a)
{
	size_t i;

	if (!a)
		return;
	for (i = 0; i < a->n_members; i++) {
		free(a->members[i].name);
		free(a->members[i].data);
	}
	free(a->members);
	free(a->path);
	free(a);
}

const struct kx_member *
kx_archive_find(const struct kx_archive *a, const char *name)
{
	size_t i;

	for (i = 0; i < a->n_members; i++)
		if (strcmp(a->members[i].name, name) == 0)
			return &a->members[i];
	return NULL;
}

static int
read_member(struct archive *ar, struct archive_entry *ent, const char *label,
            const char *name, const struct kx_limits *lim, size_t *total,
            struct kx_member *m, struct kx_err *e)
{
	size_t cap = 4096, n = 0;
	unsigned char *buf, *nb;
	la_ssize_t r;

	if (archive_entry_size_is_set(ent)) {
		la_int64_t s = archive_entry_size(ent);
		if (s < 0 || (uint64_t)s > lim->member_bytes)
			return kx_err_set(e, KX_EXIT_BADMODEL,
			                  "%s:%s: member declares %jd bytes, over the limit of %zu",
			                  label, name, (intmax_t)s, lim->member_bytes);
		if ((size_t)s + 1 > cap)
			cap = (size_t)s + 1;
	}
	buf = malloc(cap);
	if (!buf)
		return kx_err_set(e, KX_EXIT_INTERNAL, "%s:%s: out of memory", label, name);
	for (;;) {
		if (n + 1 >= cap) {
			size_t nc = cap * 2;
			if (nc > lim->member_bytes + 1)
				nc = lim->member_bytes + 1;
			if (nc <= n + 1) {
				free(buf);
				return kx_err_set(e, KX_EXIT_BADMODEL,
				                  "%s:%s: member inflates past the limit of %zu bytes",
				                  label, name, lim->member_bytes);
			}
			nb = realloc(buf, nc);
			if (!nb) {
				free(buf);
				return kx_err_set(e, KX_EXIT_INTERNAL, "%s:%s: out of memory", label, name);
			}
			buf = nb;
			cap = nc;
		}
		r = archive_read_data(ar, buf + n, cap - n - 1);
		if (r < 0) {
			kx_err_set(e, KX_EXIT_BADMODEL, "%s:%s: %s", label, name, archive_error_string(ar));
			free(buf);
			return -1;
		}
		if (r == 0)
			break;
		n += (size_t)r;
		if (n > lim->member_bytes || *total + n > lim->total_inflated) {
			free(buf);
			return kx_err_set(e, KX_EXIT_BADMODEL,
			                  "%s:%s: inflated size passes the limit of %zu bytes",
			                  label, name, n > lim->member_bytes ? lim->member_bytes : lim->total_inflated);
		}
	}
	buf[n] = '\0';
	*total += n;
	m->data = buf;
	m->size = n;
	return 0;
}

static struct kx_archive *
parse_zip(const char *label, const unsigned char *buf, size_t len,
          const struct kx_limits *lim, struct kx_err *e)
{
	struct kx_archive *a;
	struct archive *ar;
	struct archive_entry *ent;
	size_t total = 0, i;
	int r;

	a = calloc(1, sizeof *a);
	if (!a || !(a->path = strdup(label)) ||
	    !(a->members = kx_calloc(lim->max_members, sizeof *a->members))) {
		kx_archive_free(a);
		kx_err_set(e, KX_EXIT_INTERNAL, "%s: out of memory", label);
		return NULL;
	}
	a->file_size = len;
	kx_sha256(buf, len, a->sha256);

	ar = archive_read_new();
	if (!ar) {
		kx_archive_free(a);
		kx_err_set(e, KX_EXIT_INTERNAL, "%s: out of memory", label);
		return NULL;
	}
	archive_read_support_format_zip(ar);
	if (archive_read_open_memory(ar, buf, len) != ARCHIVE_OK) {
		kx_err_set(e, KX_EXIT_BADMODEL, "%s: not a .keras (zip) archive: %s", label,
		           archive_error_string(ar) ? archive_error_string(ar) : "unrecognised format");
		goto fail;
	}
	for (;;) {
		const char *name;

		r = archive_read_next_header(ar, &ent);
		if (r == ARCHIVE_EOF)
			break;
		if (r != ARCHIVE_OK && r != ARCHIVE_WARN) {
			kx_err_set(e, KX_EXIT_BADMODEL, "%s: not a valid .keras (zip) archive: %s", label,
			           archive_error_string(ar) ? archive_error_string(ar) : "bad header");
			goto fail;
		}
		name = archive_entry_pathname(ent);
		if (!name)
			name = "";
		if (a->n_members >= lim->max_members) {
			kx_err_set(e, KX_EXIT_BADMODEL, "%s: more than %zu members", label, lim->max_members);
			goto fail;
		}
		if (!name_ok(name)) {
			kx_err_set(e, KX_EXIT_BADMODEL, "%s: member name '%.200s' is absolute, has '..' or control characters",
			           label, name);
			goto fail;
		}
		if (archive_entry_is_encrypted(ent)) {
			kx_err_set(e, KX_EXIT_BADMODEL, "%s:%s: encrypted members are not supported", label, name);
			goto fail;
		}
		if (archive_entry_filetype(ent) == AE_IFDIR)
			continue;
		if (archive_entry_filetype(ent) != AE_IFREG || archive_entry_hardlink(ent) ||
		    archive_entry_symlink(ent)) {
			kx_err_set(e, KX_EXIT_BADMODEL, "%s:%s: links, devices and other special members are refused",
			           label, name);
			goto fail;
		}
		for (i = 0; i < a->n_members; i++)
			if (strcmp(a->members[i].name, name) == 0) {
				kx_err_set(e, KX_EXIT_BADMODEL, "%s:%s: duplicate member name", label, name);
				goto fail;
			}
		a->members[a->n_members].name = strdup(name);
		if (!a->members[a->n_members].name) {
			kx_err_set(e, KX_EXIT_INTERNAL, "%s: out of memory", label);
			goto fail;
		}
		if (read_member(ar, ent, label, name, lim, &total, &a->members[a->n_members], e) != 0) {
			a->n_members++;
			goto fail;
		}
		a->n_members++;
	}
	archive_read_free(ar);
	return a;
fail:
	archive_read_free(ar);
	kx_archive_free(a);
	return NULL;
}

struct kx_archive *
kx_archive_read_mem(const char *name, const void *buf, size_t len,
                    const struct kx_limits *lim, struct kx_err *e)
{
	if (len > lim->archive_bytes) {
		kx_err_set(e, KX_EXIT_BADMODEL, "%s: file of %zu bytes exceeds the limit of %zu bytes",
		           name, len, lim->archive_bytes);
		return NULL;
	}
	return parse_zip(name, buf, len, lim, e);
}

struct kx_archive *
kx_archive_read(const char *path, const struct kx_limits *lim, struct kx_err *e)
{
	struct kx_archive *a;
	unsigned char *buf;
	const char *label = strcmp(path, "-") == 0 ? "<stdin>" : path;
	size_t len;
	int fd;

	if (strcmp(path, "-") == 0) {
		fd = STDIN_FILENO;
	} else {
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0) {
			if (errno == ENOENT || errno == ENOTDIR)
				kx_err_set(e, KX_EXIT_NOMODEL, "Checkpoint not found: %s", path);
			else
				kx_err_set(e, KX_EXIT_NOMODEL, "%s: %s", path, strerror(errno));
			e->status = 404;
			return NULL;
		}
	}
	buf = slurp_fd(fd, label, lim->archive_bytes, &len, e);
	if (fd != STDIN_FILENO)
		close(fd);
	if (!buf)
		return NULL;
	a = parse_zip(label, buf, len, lim, e);
	free(buf);
	return a;
}
