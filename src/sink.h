/* sink.h - output that is never cut mid-line.
 *
 * A sink writes to a file descriptor with write(2) in whole units: lines,
 * or records that may span lines (a CSV id with a newline in quotes). The
 * writer hands over text that ends on a unit boundary, with a function
 * that finds the boundaries (NULL: each '\n' ends a unit), and the sink
 * keeps the output ending on one whatever happens:
 *   - asked to stop (stop.h), it stops before the next unit, or finishes
 *     the one a partial write left cut;
 *   - a write fails (ENOSPC, EFBIG past `ulimit -f`, EIO): on a regular
 *     file the cut-off unit is truncated away again; on a pipe or a
 *     terminal what went out stays, but nothing more is written.
 * On anything but a regular file or a block device, the sink waits in
 * poll(2) for room (and for a stop) and writes at most PIPE_BUF bytes at
 * a time, ending on a unit boundary when there is one within them: such
 * a write never blocks and goes into a pipe whole or not at all, so a
 * stop is seen even while the reader of a pipe is slow or stuck, and
 * finds the pipe ending with a whole unit (unless a unit is longer than
 * PIPE_BUF: then the rest of it is written first).
 *
 * Errors are sticky: after the first failure or stop, nothing more is
 * written. The sink never prints; commands report s->err with
 * kx_cli_write_error (cli.h). */
#ifndef KX_SINK_H
#define KX_SINK_H

#include <stddef.h>

/* The unit boundary nearest to p[off] within p[0, n): the first one at or
 * after off when up is 1, the last one at or before off when up is 0.
 * 0 and n are always boundaries. */
typedef size_t (*kx_bound_fn)(const char *p, size_t n, size_t off, int up, void *ctx);

struct kx_sink {
	int fd;                    /* not owned: never closed here */
	const char *name;          /* "standard output" or a path, for messages (not owned) */
	int regular;               /* a regular file or a block device: writes do not block */
	int truncatable;           /* a regular file: a cut-off tail can be taken back */
	int err;                   /* errno of the first failed write, or 0 */
	int stopped;               /* the signal that stopped writing at a boundary, or 0 */
	unsigned long long bytes;  /* bytes written (and kept) */
	char *buf;                 /* kx_sink_printf's text not written yet */
	size_t len, cap;
};

/* Set up a sink on fd (name for messages; the string must outlive it). */
void kx_sink_init(struct kx_sink *s, int fd, const char *name);

/* Free the buffer; does not write, does not close the descriptor. */
void kx_sink_fini(struct kx_sink *s);

/* The process's standard output (descriptor 1), set up on first use. */
struct kx_sink *kx_sink_stdout(void);

/* Write p[0, n), which ends on a unit boundary. Returns the bytes written
 * and kept: n, or less when a stop was asked (s->stopped) or a write
 * failed (s->err); the output then ends on a unit boundary (but see
 * above for pipes). Returns 0 at once after an earlier stop or failure. */
size_t kx_sink_write(struct kx_sink *s, const char *p, size_t n, kx_bound_fn bound, void *ctx);

/* Buffered text for commands that print as they go (inspect, validate,
 * serve-stdin): append, writing the buffered whole lines out once more
 * than 64 KiB are held. Return 0, or -1 once the sink has failed or
 * stopped (out of memory counts as a failure, ENOMEM). */
int kx_sink_printf(struct kx_sink *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int kx_sink_put(struct kx_sink *s, const char *p, size_t n);

/* Write out everything buffered. Returns 0, or -1 (s->err or s->stopped). */
int kx_sink_flush(struct kx_sink *s);

/* 1 when the sink has failed or stopped. */
int kx_sink_done(const struct kx_sink *s);

#endif
