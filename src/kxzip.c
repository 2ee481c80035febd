/* kxzip.c - a .keras zip read fully into memory with libarchive. */
#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "clock.h"
#include "err.h"
#include "kxzip.h"
#include "sha256.h"

/* The zip's end of central directory record: 22 bytes, then a comment of
 * up to 65535 bytes; a reader looks for it in the last EOCD_SPAN bytes. */
#define EOCD_SIZE 22
#define EOCD_SPAN (65536 + EOCD_SIZE)
/* The first buffer for a member's bytes (it doubles up to the limit). */
#define MEMBER_CHUNK 65536

static int find_eocd(const unsigned char *buf, size_t len, size_t *eocd);

/* An HDF5 file's first bytes, and why such a file is not a model kanx reads */
#define HDF5_SIG "\x89HDF\r\n\x1a\n"
#define NOT_ZIP_HDF5 "an HDF5 file (Keras's legacy .h5 model, or weights alone); kanx reads " \
	"what model.save('NAME.keras') writes"

static unsigned char *
read_failed(unsigned char *buf, const char *label, struct kx_err *e)
{
	kx_err_set(e, KX_EXIT_NOMODEL, "%s: read error: %s", label, strerror(errno));
	e->status = 404;
	free(buf);
	return NULL;
}

/* A regular file of `size` bytes from `pos` on: its tail must hold a zip
 * end record (else it is refused without reading the rest: a 600 MB file
 * of zeros costs one read), then it is read whole. A file that holds more
 * than it reports (a /proc or device file) or says it is not ready is
 * refused as soon as that shows. */
static unsigned char *
read_regular(int fd, const char *label, off_t pos, off_t size, size_t *len, struct kx_err *e)
{
	size_t want = (size_t)(size - pos), n = 0, t, eocd;
	unsigned char *buf;
	ssize_t r;

	if (want >= EOCD_SIZE) {
		t = want < EOCD_SPAN ? want : EOCD_SPAN;
		buf = malloc(t);
		if (!buf)
			goto nomem;
		for (n = 0; n < t; n += (size_t)r) {
			r = pread(fd, buf + n, t - n, size - (off_t)t + (off_t)n);
			if (r < 0 && errno == EINTR)
				r = 0;
			else if (r <= 0)
				break;
		}
		/* a short tail (not seekable, /proc) is checked by the zip reader */
		if (n == t && find_eocd(buf, t, &eocd) != 0) {
			unsigned char sig[8];
			int h5 = pread(fd, sig, sizeof sig, pos) == (ssize_t)sizeof sig &&
			         memcmp(sig, HDF5_SIG, sizeof sig) == 0;
			free(buf);
			kx_err_set(e, KX_EXIT_BADMODEL, "%s: not a .keras (zip) archive: %s", label,
			           h5 ? NOT_ZIP_HDF5 : "no end of central directory record");
			return NULL;
		}
		free(buf);
	}
	buf = malloc(want + 1);
	if (!buf)
		goto nomem;
	for (n = 0; n <= want; n += (size_t)r) {
		r = read(fd, buf + n, want + 1 - n);
		if (r < 0 && errno == EINTR) {
			r = 0;
			continue;
		}
		if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			free(buf);
			kx_err_set(e, KX_EXIT_BADMODEL, "%s: not a regular file to read (it is not ready: "
			           "a device or /proc file?)", label);
			return NULL;
		}
		if (r < 0)
			return read_failed(buf, label, e);
		if (r == 0)
			break;
	}
	if (n > want) {
		free(buf);
		kx_err_set(e, KX_EXIT_BADMODEL, "%s: the file holds more than the %jd bytes it reports "
		           "(a device or /proc file?); refused", label, (intmax_t)(size - pos));
		return NULL;
	}
	*len = n;
	return buf;
nomem:
	kx_err_set(e, KX_EXIT_INTERNAL, "%s: out of memory", label);
	return NULL;
}

/* A pipe or FIFO: read until it ends, at most cap bytes and `seconds` of
 * waiting in all (a FIFO nobody writes to, a writer that never stops). */
static unsigned char *
read_stream(int fd, const char *label, size_t cap, size_t seconds, size_t *len, struct kx_err *e)
{
	unsigned char *buf = NULL;
	size_t n = 0, size = 0;
	double deadline = kx_clock_ms() + (double)seconds * 1e3;
	ssize_t r;

	for (;;) {
		struct pollfd p = { fd, POLLIN, 0 };
		long long left;

		if (n == size && kx_grow_max(&buf, &size, n + 1, cap + 1, 1) != 0) {
			free(buf);
			kx_err_set(e, KX_EXIT_INTERNAL, "%s: out of memory", label);
			return NULL;
		}
		left = (long long)(deadline - kx_clock_ms());
		r = left > 0 ? poll(&p, 1, left > 1000000 ? 1000000 : (int)left) : 0;
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return read_failed(buf, label, e);
		if (r == 0) {
			free(buf);
			kx_err_set(e, KX_EXIT_BADMODEL, "%s: the model did not end within %zu s (a pipe or "
			           "FIFO that nobody finishes writing?); refused (KANX_MODEL_TIMEOUT)", label,
			           seconds);
			return NULL;
		}
		r = read(fd, buf + n, size - n);
		if (r < 0 && (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK))
			continue;
		if (r < 0)
			return read_failed(buf, label, e);
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
}

/* The model's bytes from fd, bounded: a regular file by its size (checked
 * against the limit before reading), a pipe by the limit and the time
 * limit; a directory is not found, a device or socket refused unread. */
static unsigned char *
slurp_fd(int fd, const char *label, const struct kx_limits *lim, size_t *len, struct kx_err *e)
{
	size_t cap = lim->archive_bytes;
	struct stat st;
	off_t pos;

	if (fstat(fd, &st) != 0)
		return read_failed(NULL, label, e);
	if (S_ISDIR(st.st_mode)) {
		kx_err_set(e, KX_EXIT_NOMODEL, "%s: is a directory", label);
		e->status = 404;
		return NULL;
	}
	if (S_ISREG(st.st_mode)) {
		if ((uintmax_t)st.st_size > cap) {
			kx_err_set(e, KX_EXIT_BADMODEL, "%s: file of %jd bytes exceeds the limit of %zu bytes",
			           label, (intmax_t)st.st_size, cap);
			return NULL;
		}
		pos = lseek(fd, 0, SEEK_CUR);   /* standard input may have been read from */
		if (pos < 0 || pos > st.st_size)
			pos = 0;
		return read_regular(fd, label, pos, st.st_size, len, e);
	}
	if (S_ISFIFO(st.st_mode))
		return read_stream(fd, label, cap, lim->read_seconds, len, e);
	kx_err_set(e, KX_EXIT_BADMODEL, "%s: is a %s, not a file; kanx reads a model from a regular "
	           "file or a pipe", label, S_ISCHR(st.st_mode) ? "character device" :
	           S_ISBLK(st.st_mode) ? "block device" : S_ISSOCK(st.st_mode) ? "socket" : "special file");
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

/* The most one member may inflate to: the JSON members are small. */
static size_t
member_cap(const struct kx_limits *lim, const char *name)
{
	if (strcmp(name, "config.json") == 0 || strcmp(name, "metadata.json") == 0)
		return lim->config_bytes < lim->member_bytes ? lim->config_bytes : lim->member_bytes;
	return lim->member_bytes;
}

/* Inflate one member into m, counting the bytes actually produced: never
 * more than the member declared (a member that inflates past its declared
 * size is a zip bomb or a corrupt archive), the member limit, or what is
 * left of the total. The buffer grows as data arrives, so a member that
 * declares much and holds little costs little. */
static int
read_member(struct archive *ar, struct archive_entry *ent, const char *label,
            const char *name, const struct kx_limits *lim, size_t *total,
            struct kx_member *m, struct kx_err *e)
{
	size_t limit = member_cap(lim, name), want, cap, n = 0;
	int declared = 0;
	unsigned char *buf;
	la_ssize_t r;

	if (archive_entry_size_is_set(ent)) {
		/* checked against the limits by check_headers(); min() all the same */
		la_int64_t s = archive_entry_size(ent);
		if (s >= 0 && (uint64_t)s < limit)
			limit = (size_t)s;
		declared = 1;
	}
	want = limit + 2;              /* one byte past the limit, and the NUL */
	cap = want < MEMBER_CHUNK ? want : MEMBER_CHUNK;
	buf = malloc(cap);
	if (!buf)
		return kx_err_set(e, KX_EXIT_INTERNAL, "%s:%s: out of memory", label, name);
	for (;;) {
		if (cap - n < 2 && kx_grow_max(&buf, &cap, n + 2, want, 1) != 0) {
			free(buf);
			return kx_err_set(e, KX_EXIT_INTERNAL, "%s:%s: out of memory", label, name);
		}
		r = archive_read_data(ar, buf + n, cap - n - 1);
		if (r < 0) {
			kx_err_set(e, KX_EXIT_BADMODEL, "%s:%s: %s", label, name,
			           archive_error_string(ar) ? archive_error_string(ar) : "read error");
			free(buf);
			return -1;
		}
		if (r == 0)
			break;
		n += (size_t)r;
		if (n > limit) {
			free(buf);
			if (declared)
				return kx_err_set(e, KX_EXIT_BADMODEL,
				                  "%s:%s: member inflates past its declared size of %zu bytes "
				                  "(a zip bomb or a corrupt archive)", label, name, limit);
			return kx_err_set(e, KX_EXIT_BADMODEL, "%s:%s: member inflates past the limit of %zu bytes",
			                  label, name, limit);
		}
		if (*total + n > lim->total_inflated) {
			free(buf);
			return kx_err_set(e, KX_EXIT_BADMODEL,
			                  "%s:%s: members inflate to more than the limit of %zu bytes together",
			                  label, name, lim->total_inflated);
		}
	}
	buf[n] = '\0';
	*total += n;
	m->data = buf;
	m->size = n;
	return 0;
}

static unsigned
le16(const unsigned char *p)
{
	return (unsigned)p[0] | (unsigned)p[1] << 8;
}

static uint32_t
le32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* The members kanx reads; every other member is listed, never inflated. */
static int
needed(const char *name, size_t n)
{
	static const char *const names[] = { "config.json", "metadata.json", "model.weights.h5", NULL };
	size_t i;

	for (i = 0; names[i]; i++)
		if (strlen(names[i]) == n && memcmp(names[i], name, n) == 0)
			return 1;
	return 0;
}

/* One entry of the central directory as Python's zipfile reads it. */
struct cdent {
	const unsigned char *name;
	size_t nlen;
	uint32_t usize;
	uint32_t local;        /* offset of the local header */
	unsigned method, flags;
};

struct cdir {
	struct cdent *v;
	size_t n;
	size_t end;            /* just past the end record: what libarchive is given */
};

/* Where Python's zipfile finds the end of central directory record: in
 * the last 22 bytes when the archive has no comment, else the last
 * signature in the final 64 KiB + 22 bytes (which may leave less than a
 * whole record after it). 0 with *eocd set, or -1. */
static int
find_eocd(const unsigned char *buf, size_t len, size_t *eocd)
{
	size_t lo, i;

	if (len < EOCD_SIZE)
		return -1;
	if (memcmp(buf + len - EOCD_SIZE, "PK\5\6", 4) == 0 && buf[len - 2] == 0 && buf[len - 1] == 0) {
		*eocd = len - EOCD_SIZE;
		return 0;
	}
	lo = len > EOCD_SPAN ? len - EOCD_SPAN : 0;
	for (i = len - 4 + 1; i-- > lo;)
		if (memcmp(buf + i, "PK\5\6", 4) == 0) {
			*eocd = i;
			return 0;
		}
	return -1;
}

/* The member name as printed: raw bytes, NUL shown as '?' (kx_err scrubs
 * the other control characters). */
static void
show_name(char *out, size_t size, const unsigned char *name, size_t n)
{
	size_t i;

	for (i = 0; i < n && i + 1 < size; i++)
		out[i] = name[i] ? (char)name[i] : '?';
	out[i] = '\0';
}

/* The archive as Python's zipfile (what Keras uses) sees it, so that kanx
 * reads the members Keras reads or refuses the file: the end record found
 * as _EndRecData finds it (the last one in the final 64 KiB), the central
 * directory walked entry by entry as _RealGetContents walks it. Refused
 * where the readers could differ: zip64 end records, a directory that is
 * not where the end record says (data before the archive), names with a
 * NUL byte (Python cuts them there), duplicate names, and a needed member
 * whose local header names another file (Python refuses to read it). */
static int
python_dir(const char *label, const unsigned char *buf, size_t len, const struct kx_limits *lim,
           struct cdir *d, struct kx_err *e)
{
	size_t eocd, i, j, p, cd_size, cd_off, count;
	char shown[256];

	memset(d, 0, sizeof *d);
	if (len < EOCD_SIZE)
		return kx_err_set(e, KX_EXIT_BADMODEL, "%s: not a .keras (zip) archive: %zu bytes, "
		                  "too short for a zip", label, len);
	if (find_eocd(buf, len, &eocd) != 0)
		return kx_err_set(e, KX_EXIT_BADMODEL, "%s: not a .keras (zip) archive: %s", label,
		                  memcmp(buf, HDF5_SIG, 8) == 0 ? NOT_ZIP_HDF5 :
		                  "no end of central directory record");
	if (len - eocd < EOCD_SIZE)
		return kx_err_set(e, KX_EXIT_BADMODEL, "%s: not a .keras (zip) archive: "
		                  "the end of central directory record is cut short", label);
	d->end = eocd + EOCD_SIZE;
	count = le16(buf + eocd + 10);
	if (count > lim->max_members)
		return kx_err_set(e, KX_EXIT_BADMODEL, "%s: the zip directory lists %zu members, "
		                  "more than the limit of %zu", label, count, lim->max_members);
	if (eocd >= 20 && memcmp(buf + eocd - 20, "PK\6\7", 4) == 0)
		return kx_err_set(e, KX_EXIT_BADMODEL, "%s: zip64 archives are not supported (a .keras "
		                  "under the size limit never needs one)", label);
	cd_size = le32(buf + eocd + 12);
	cd_off = le32(buf + eocd + 16);
	if (cd_size > eocd || cd_off != eocd - cd_size)
		return kx_err_set(e, KX_EXIT_BADMODEL, "%s: not a .keras (zip) archive: the central "
		                  "directory is not where the end record says (%zu bytes at %zu)", label,
		                  cd_size, cd_off);
	d->v = kx_calloc(lim->max_members + 1, sizeof *d->v);
	if (!d->v)
		return kx_err_set(e, KX_EXIT_INTERNAL, "%s: out of memory", label);
	for (p = cd_off; p < eocd; ) {
		struct cdent *c;
		size_t n, x, k;

		if (eocd - p < 46 || memcmp(buf + p, "PK\1\2", 4) != 0)
			return kx_err_set(e, KX_EXIT_BADMODEL, "%s: not a valid .keras (zip) archive: "
			                  "bad central directory entry at %zu", label, p);
		n = le16(buf + p + 28);
		x = le16(buf + p + 30);
		k = le16(buf + p + 32);
		if (eocd - p - 46 < n + x + k)
			return kx_err_set(e, KX_EXIT_BADMODEL, "%s: not a valid .keras (zip) archive: "
			                  "truncated central directory", label);
		if (d->n >= lim->max_members)
			return kx_err_set(e, KX_EXIT_BADMODEL, "%s: more than %zu members", label,
			                  lim->max_members);
		c = &d->v[d->n++];
		c->name = buf + p + 46;
		c->nlen = n;
		c->flags = le16(buf + p + 8);
		c->method = le16(buf + p + 10);
		c->usize = le32(buf + p + 24);
		c->local = le32(buf + p + 42);
		show_name(shown, sizeof shown, c->name, n);
		if (memchr(c->name, '\0', n))
			return kx_err_set(e, KX_EXIT_BADMODEL, "%s: member name '%s' holds a NUL byte "
			                  "(Python's zipfile reads it as the name before the NUL)", label, shown);
		p += 46 + n + x + k;
	}
	for (i = 0; i < d->n; i++)
		for (j = 0; j < i; j++)
			if (d->v[j].nlen == d->v[i].nlen && memcmp(d->v[j].name, d->v[i].name, d->v[i].nlen) == 0) {
				show_name(shown, sizeof shown, d->v[i].name, d->v[i].nlen);
				return kx_err_set(e, KX_EXIT_BADMODEL, "%s:%s: duplicate member name", label, shown);
			}
	for (i = 0; i < d->n; i++) {
		const struct cdent *c = &d->v[i];
		if (!needed((const char *)c->name, c->nlen))
			continue;
		show_name(shown, sizeof shown, c->name, c->nlen);
		if (c->usize == 0xffffffffu || c->local == 0xffffffffu)
			return kx_err_set(e, KX_EXIT_BADMODEL, "%s:%s: zip64 members are not supported", label, shown);
		if (c->method != 0 && c->method != 8 && c->method != 12 && c->method != 14)
			return kx_err_set(e, KX_EXIT_BADMODEL, "%s:%s: compression method %u is not one Python's "
			                  "zipfile reads (stored, deflate, bzip2, lzma)", label, shown, c->method);
		if ((size_t)c->local > cd_off || cd_off - c->local < 30 ||
		    memcmp(buf + c->local, "PK\3\4", 4) != 0 || le16(buf + c->local + 26) != c->nlen ||
		    cd_off - c->local - 30 < c->nlen ||
		    memcmp(buf + c->local + 30, c->name, c->nlen) != 0)
			return kx_err_set(e, KX_EXIT_BADMODEL, "%s:%s: the member's local header is missing or "
			                  "names another file (Python's zipfile refuses to read it)", label, shown);
		/* a name that differs from a needed one only in case is one file
		 * on a case-insensitive file system: ambiguous */
		for (j = 0; j < d->n; j++)
			if (j != i && d->v[j].nlen == c->nlen &&
			    strncasecmp((const char *)d->v[j].name, (const char *)c->name, c->nlen) == 0) {
				char other[256];
				show_name(other, sizeof other, d->v[j].name, d->v[j].nlen);
				return kx_err_set(e, KX_EXIT_BADMODEL, "%s:%s: member '%s' differs from it only in "
				                  "case; refused as ambiguous", label, shown, other);
			}
	}
	return 0;
}

static struct archive *
open_zip(const char *label, const unsigned char *buf, size_t len, struct kx_err *e)
{
	struct archive *ar = archive_read_new();

	if (!ar) {
		kx_err_set(e, KX_EXIT_INTERNAL, "%s: out of memory", label);
		return NULL;
	}
	/* The seekable reader only: it trusts the central directory, as
	 * Python's zipfile does, and never inflates a member to skip it. */
	archive_read_support_format_zip_seekable(ar);
	if (archive_read_open_memory(ar, buf, len) != ARCHIVE_OK) {
		kx_err_set(e, KX_EXIT_BADMODEL, "%s: not a .keras (zip) archive: %s", label,
		           archive_error_string(ar) ? archive_error_string(ar) : "unrecognised format");
		archive_read_free(ar);
		return NULL;
	}
	return ar;
}

/* The next member header, or 0 at the end, -1 on error. */
static int
next_header(struct archive *ar, const char *label, struct archive_entry **ent, struct kx_err *e)
{
	int r = archive_read_next_header(ar, ent);

	if (r == ARCHIVE_EOF)
		return 0;
	if (r != ARCHIVE_OK && r != ARCHIVE_WARN)
		return kx_err_set(e, KX_EXIT_BADMODEL, "%s: not a valid .keras (zip) archive: %s", label,
		                  archive_error_string(ar) ? archive_error_string(ar) : "bad header");
	return 1;
}

/* First pass, before anything is inflated: libarchive's reading of every
 * header must be sound and agree with Python's (d), and the sizes the
 * needed members declare must fit the limits, each and together. */
static int
check_headers(const char *label, const unsigned char *buf, const struct cdir *d,
              const struct kx_limits *lim, struct kx_err *e)
{
	struct archive *ar;
	struct archive_entry *ent;
	size_t n = 0, total = 0, i;
	int r, rc = -1;

	if (!(ar = open_zip(label, buf, d->end, e)))
		return -1;
	while ((r = next_header(ar, label, &ent, e)) > 0) {
		const char *name = archive_entry_pathname(ent);
		const struct cdent *c = NULL;

		if (!name)
			name = "";
		if (n++ >= lim->max_members) {
			kx_err_set(e, KX_EXIT_BADMODEL, "%s: more than %zu members", label, lim->max_members);
			goto out;
		}
		if (!name_ok(name)) {
			kx_err_set(e, KX_EXIT_BADMODEL, "%s: member name '%.200s' is absolute, has '..' or control characters",
			           label, name);
			goto out;
		}
		if (archive_entry_is_encrypted(ent)) {
			kx_err_set(e, KX_EXIT_BADMODEL, "%s:%s: encrypted members are not supported", label, name);
			goto out;
		}
		if (archive_entry_filetype(ent) != AE_IFDIR &&
		    (archive_entry_filetype(ent) != AE_IFREG || archive_entry_hardlink(ent) ||
		     archive_entry_symlink(ent))) {
			kx_err_set(e, KX_EXIT_BADMODEL, "%s:%s: links, devices and other special members are refused",
			           label, name);
			goto out;
		}
		if (!needed(name, strlen(name)))
			continue;   /* never inflated: its size costs nothing */
		for (i = 0; i < d->n && !c; i++)
			if (d->v[i].nlen == strlen(name) && memcmp(d->v[i].name, name, d->v[i].nlen) == 0)
				c = &d->v[i];
		if (!c || !archive_entry_size_is_set(ent) || archive_entry_size(ent) != (la_int64_t)c->usize) {
			kx_err_set(e, KX_EXIT_BADMODEL, "%s:%s: the zip directory reads differently to "
			           "libarchive and to Python's zipfile; refused", label, name);
			goto out;
		}
		if ((uint64_t)c->usize > member_cap(lim, name)) {
			kx_err_set(e, KX_EXIT_BADMODEL, "%s:%s: member declares %ju bytes, over the limit of %zu",
			           label, name, (uintmax_t)c->usize, member_cap(lim, name));
			goto out;
		}
		if (kx_add(total, c->usize, &total) != 0 || total > lim->total_inflated) {
			kx_err_set(e, KX_EXIT_BADMODEL, "%s:%s: members declare more than the limit of %zu bytes "
			           "together", label, name, lim->total_inflated);
			goto out;
		}
	}
	if (r == 0 && n != d->n)
		kx_err_set(e, KX_EXIT_BADMODEL, "%s: libarchive reads %zu members, Python's zipfile %zu; "
		           "refused", label, n, d->n);
	else if (r == 0)
		rc = 0;
out:
	archive_read_free(ar);
	return rc;
}

/* The members a model needs, inflated; the rest are only listed. */
static struct kx_archive *
parse_zip(const char *label, const unsigned char *buf, size_t len,
          const struct kx_limits *lim, struct kx_err *e)
{
	struct kx_archive *a = NULL;
	struct archive *ar = NULL;
	struct archive_entry *ent;
	struct cdir d;
	size_t total = 0;
	int r;

	if (python_dir(label, buf, len, lim, &d, e) != 0 || check_headers(label, buf, &d, lim, e) != 0)
		goto fail;
	a = calloc(1, sizeof *a);
	if (!a || !(a->path = strdup(label)) ||
	    !(a->members = kx_calloc(lim->max_members, sizeof *a->members))) {
		kx_err_set(e, KX_EXIT_INTERNAL, "%s: out of memory", label);
		goto fail;
	}
	a->file_size = len;
	kx_sha256(buf, len, a->sha256);

	if (!(ar = open_zip(label, buf, d.end, e)))
		goto fail;
	/* Second pass: the headers are the ones check_headers() accepted. */
	while ((r = next_header(ar, label, &ent, e)) > 0) {
		const char *name = archive_entry_pathname(ent);

		if (archive_entry_filetype(ent) == AE_IFDIR || !name || !needed(name, strlen(name)))
			continue;
		if (a->n_members >= lim->max_members) {
			kx_err_set(e, KX_EXIT_BADMODEL, "%s: more than %zu members", label, lim->max_members);
			goto fail;
		}
		a->members[a->n_members].name = strdup(name);
		if (!a->members[a->n_members].name) {
			kx_err_set(e, KX_EXIT_INTERNAL, "%s: out of memory", label);
			goto fail;
		}
		if (read_member(ar, ent, label, a->members[a->n_members].name, lim, &total,
		                &a->members[a->n_members], e) != 0) {
			a->n_members++;
			goto fail;
		}
		a->n_members++;
	}
	if (r < 0)
		goto fail;
	archive_read_free(ar);
	free(d.v);
	return a;
fail:
	if (ar)
		archive_read_free(ar);
	free(d.v);
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
	const char *label = kx_path_name(path);
	size_t len;
	int fd;

	if (kx_path_is_stdin(path)) {
		fd = STDIN_FILENO;
	} else {
		/* non-blocking: opening a FIFO nobody writes to must not hang */
		fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
		if (fd < 0) {
			if (errno == ENOENT || errno == ENOTDIR)
				kx_err_set(e, KX_EXIT_NOMODEL, "Checkpoint not found: %s", path);
			else
				kx_err_set(e, KX_EXIT_NOMODEL, "%s: %s", path, strerror(errno));
			e->status = 404;
			return NULL;
		}
	}
	buf = slurp_fd(fd, label, lim, &len, e);
	if (fd != STDIN_FILENO)
		close(fd);
	if (!buf)
		return NULL;
	a = parse_zip(label, buf, len, lim, e);
	free(buf);
	return a;
}
