/* sink.c - output that is never cut mid-line (see sink.h). */
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kxlimits.h"
#include "sink.h"
#include "stop.h"

#define HOLD ((size_t)64 << 10)   /* kx_sink_printf writes out beyond this */

void
kx_sink_init(struct kx_sink *s, int fd, const char *name)
{
	struct stat st;

	memset(s, 0, sizeof *s);
	s->fd = fd;
	s->name = name;
	if (fstat(fd, &st) == 0) {
		s->regular = S_ISREG(st.st_mode) || S_ISBLK(st.st_mode);
		s->truncatable = S_ISREG(st.st_mode);
	}
}

void
kx_sink_fini(struct kx_sink *s)
{
	if (!s)
		return;
	free(s->buf);
	s->buf = NULL;
	s->len = s->cap = 0;
}

struct kx_sink *
kx_sink_stdout(void)
{
	static struct kx_sink out;
	static int ready;

	if (!ready) {
		kx_sink_init(&out, STDOUT_FILENO, "standard output");
		ready = 1;
	}
	return &out;
}

int
kx_sink_done(const struct kx_sink *s)
{
	return s->err != 0 || s->stopped != 0;
}

/* Units are lines. */
static size_t
line_bound(const char *p, size_t n, size_t off, int up, void *ctx)
{
	const char *q;

	(void)ctx;
	if (off == 0 || off >= n)
		return off >= n ? n : 0;
	if (p[off - 1] == '\n')
		return off;
	if (up) {
		q = memchr(p + off, '\n', n - off);
		return q ? (size_t)(q - p) + 1 : n;
	}
	while (off > 0 && p[off - 1] != '\n')
		off--;
	return off;
}

/* Write p[0, n) with write(2), as far as it goes. finish: a unit is being
 * completed, so a stop does not end it. On a pipe (or any descriptor that
 * can block) each write is at most PIPE_BUF bytes, which POSIX makes all
 * or nothing, and ends on a unit boundary when one is within reach: what
 * the reader finds in the pipe then always ends with a whole unit, so a
 * stop never has to wait for a stuck reader to take the rest of one.
 * Returns the bytes written. */
static size_t
raw_write(struct kx_sink *s, const char *p, size_t n, int finish, kx_bound_fn bound, void *ctx)
{
	struct pollfd pf[2];
	size_t off = 0, chunk, b;
	ssize_t w;
	int sig;

	while (off < n) {
		if (!finish && (sig = kx_stop_signal()) != 0) {
			s->stopped = sig;
			break;
		}
		chunk = n - off;
		if (!s->regular) {
			pf[0].fd = s->fd;
			pf[0].events = POLLOUT;
			pf[0].revents = 0;
			pf[1].fd = finish ? -1 : kx_stop_fd();
			pf[1].events = POLLIN;
			pf[1].revents = 0;
			if (poll(pf, 2, -1) < 0) {
				if (errno == EINTR)
					continue;
				s->err = errno;
				break;
			}
			if (pf[1].revents)
				continue;  /* the stop is taken at the top */
			if (chunk > PIPE_BUF) {
				chunk = PIPE_BUF;
				b = finish ? off : bound(p, n, off + PIPE_BUF, 0, ctx);
				if (b > off)
					chunk = b - off;
			}
		} else if (chunk > ((size_t)1 << 30)) {
			chunk = (size_t)1 << 30;
		}
		w = write(s->fd, p + off, chunk);
		if (w < 0) {
			if (errno == EINTR || (!s->regular && (errno == EAGAIN || errno == EWOULDBLOCK)))
				continue;
			s->err = errno;
			break;
		}
		if (w == 0) {
			s->err = EIO;
			break;
		}
		off += (size_t)w;
		s->bytes += (unsigned long long)w;
	}
	return off;
}

/* Take back the last k bytes written (a regular file only). */
static int
unwrite(struct kx_sink *s, size_t k)
{
	off_t cur;

	if (k == 0)
		return 0;
	if (!s->truncatable || (unsigned long long)k > s->bytes)
		return -1;
	cur = lseek(s->fd, 0, SEEK_CUR);
	if (cur < 0 || (unsigned long long)cur < k)
		return -1;
	if (ftruncate(s->fd, cur - (off_t)k) != 0 || lseek(s->fd, cur - (off_t)k, SEEK_SET) < 0)
		return -1;
	s->bytes -= k;
	return 0;
}

size_t
kx_sink_write(struct kx_sink *s, const char *p, size_t n, kx_bound_fn bound, void *ctx)
{
	size_t done, b;

	if (kx_sink_done(s) || n == 0)
		return 0;
	if (!bound)
		bound = line_bound;
	done = raw_write(s, p, n, 0, bound, ctx);
	if (done == n)
		return n;
	b = bound(p, n, done, 1, ctx);
	if (s->stopped && !s->err && b > done)
		done += raw_write(s, p + done, b - done, 1, bound, ctx);
	if (s->err) {
		b = bound(p, n, done, 0, ctx);
		if (b < done && unwrite(s, done - b) == 0)
			done = b;
	}
	return done;
}

/* Write the whole lines of the buffer (all of it when all is set). */
static int
drain(struct kx_sink *s, int all)
{
	size_t n = s->len, done;

	if (!all)
		n = line_bound(s->buf, s->len, s->len, 0, NULL);
	if (n == 0)
		return kx_sink_done(s) ? -1 : 0;
	done = kx_sink_write(s, s->buf, n, NULL, NULL);
	if (done < n)
		return -1;
	memmove(s->buf, s->buf + n, s->len - n);
	s->len -= n;
	return 0;
}

int
kx_sink_put(struct kx_sink *s, const char *p, size_t n)
{
	if (kx_sink_done(s))
		return -1;
	if (n > SIZE_MAX - s->len - 1) {
		s->err = ENOMEM;
		return -1;
	}
	if (kx_grow(&s->buf, &s->cap, s->len + n + 1, 1) != 0) {
		s->err = ENOMEM;
		return -1;
	}
	memcpy(s->buf + s->len, p, n);
	s->len += n;
	return s->len > HOLD ? drain(s, 0) : 0;
}

int
kx_sink_printf(struct kx_sink *s, const char *fmt, ...)
{
	char small[512], *big;
	va_list ap;
	int n, rc;

	va_start(ap, fmt);
	n = vsnprintf(small, sizeof small, fmt, ap);
	va_end(ap);
	if (n < 0) {
		s->err = EINVAL;
		return -1;
	}
	if ((size_t)n < sizeof small)
		return kx_sink_put(s, small, (size_t)n);
	big = malloc((size_t)n + 1);
	if (!big) {
		s->err = ENOMEM;
		return -1;
	}
	va_start(ap, fmt);
	vsnprintf(big, (size_t)n + 1, fmt, ap);
	va_end(ap);
	rc = kx_sink_put(s, big, (size_t)n);
	free(big);
	return rc;
}

int
kx_sink_flush(struct kx_sink *s)
{
	return drain(s, 1);
}
