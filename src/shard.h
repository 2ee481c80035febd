/* shard.h - predict --shard K/N: which part of a seekable input file one
 * process scores, so that N processes on N machines that share the file
 * split it with no pre-splitting step.
 *
 * Shards are numbered from 1, like split -n l/K/N: shard K of N, 1 <= K
 * <= N. The data part of the file, [D, S) (D: where the first data record
 * starts, after a BOM and after a CSV/TSV header; S: the file's size), is
 * cut at the nominal offsets t_j = D + (S - D) * j / N (j = 0..N), and
 * each cut is moved forward to the first record start at or after it:
 * c_j. Shard K scores the records that start in [c_{K-1}, c_K). The cuts
 * are the same in every process (they depend on the file alone), so the
 * shards are disjoint, cover every record, and are in file order: their
 * outputs, concatenated in shard order, are the single run's output.
 *
 * Record starts are found by the reader's own framing rule, applied from
 * D (a record start) onwards: JSON lines - a record ends at every newline
 * (a JSON string cannot hold a raw newline); CSV/TSV - a record ends at a
 * newline outside double quotes, where every '"' toggles "inside quotes"
 * (doubled quotes inside a quoted field toggle twice). The quote state at
 * a byte depends on every byte before it, so locating a shard reads the
 * file from D to c_K once more, at memory speed (memchr), which also
 * counts the lines and records before c_{K-1}, so messages keep the whole
 * file's line and record numbers. */
#ifndef KX_SHARD_H
#define KX_SHARD_H

#include <stddef.h>
#include <stdint.h>
#include "err.h"

/* The largest N: cuts are computed exactly in 64 bits up to here. */
#define KX_SHARD_MAX 1000000UL

struct kx_shard {
	unsigned long k, n;     /* shard k of n, 1 <= k <= n */
	char from[96];          /* where K/N came from, for --stats: "--shard 2/4",
	                         * "SLURM_ARRAY_TASK_ID=2 of 1-4:1", ... */
	char warn[256];         /* a warning for the user, or "" */
};

/* Parse a --shard value:
 *   K/N     shard K of N (1-based);
 *   auto    K and N from the first array-job environment found:
 *           Slurm  SLURM_ARRAY_TASK_ID, _MIN, _MAX, _STEP (default 1),
 *                  checked against _COUNT when set:
 *                  K = (ID - MIN) / STEP + 1, N = (MAX - MIN) / STEP + 1;
 *           Grid Engine  SGE_TASK_ID, SGE_TASK_FIRST, SGE_TASK_LAST,
 *                  SGE_TASK_STEPSIZE, the same way ("undefined" when the
 *                  job is not an array job counts as unset);
 *           Kubernetes  JOB_COMPLETION_INDEX gives no count: auto/N;
 *   auto/N  N shards; K from the task's own number, whatever the array
 *           submitted (so one task can be rerun alone): Slurm's and Grid
 *           Engine's task ID is K (1..N); Kubernetes' 0-based
 *           JOB_COMPLETION_INDEX is K - 1.
 * An array of one task under plain auto is shard 1/1, the whole file,
 * which is what rerunning one task of a larger array gives: sh->warn
 * says so (and how to rerun a shard).
 * env: getenv, or a stand-in for tests. Returns 0, or -1 with e set
 * (KX_EXIT_USAGE, a message that names the value or variable). */
int kx_shard_parse(const char *arg, char *(*env)(const char *), struct kx_shard *sh,
                   struct kx_err *e);

/* The nominal cut t_j = d + (s - d) * j / n (rounded down), exact for
 * any 64-bit sizes and n <= KX_SHARD_MAX; d <= s, j <= n. */
uint64_t kx_shard_cut(uint64_t d, uint64_t s, unsigned long j, unsigned long n);

struct kx_shard_range {
	uint64_t lo, hi;        /* the shard's bytes [lo, hi) of the file */
	uint64_t data, size;    /* D and S */
	uint64_t line;          /* the line number of byte lo (1-based, whole file) */
	uint64_t recs;          /* records before lo: data_recs plus the records
	                         * in [D, lo), blank lines not counted */
};

/* How records are framed, as the reader frames them: a record ends at a
 * newline (outside quotes for CSV and TSV), and a record that is blank,
 * [ \t]*\r? ([ ]*\r? in TSV, where a tab separates fields), is skipped. */
enum kx_shard_framing { KX_SHARD_LINES, KX_SHARD_CSV, KX_SHARD_TSV };

/* Locate shard sh in the file open on fd (read with pread: the file
 * offset is left alone). size: the file's size; data: D, a record start;
 * data_line, data_recs: the line number of D and the records before it;
 * framing: an enum kx_shard_framing. chunk: bytes per read (0 for the
 * default; tests use small ones). name: the file, for messages. Returns
 * 0, or -1 with e set (KX_EXIT_IO on a read error or when a stop was
 * asked, stop.h; KX_EXIT_INTERNAL when memory runs out). */
int kx_shard_locate(int fd, const char *name, uint64_t size, uint64_t data,
                    uint64_t data_line, uint64_t data_recs, int framing,
                    const struct kx_shard *sh, size_t chunk,
                    struct kx_shard_range *out, struct kx_err *e);

/* The same for any CSV dialect: quote, the quote character (0: none, a
 * newline always ends a record); tab_blank: a tab is blank space (it is
 * not the delimiter). kx_shard_locate is this with '"' (CSV, TSV) or 0
 * (JSON lines), tab_blank but in TSV. */
int kx_shard_locate_dialect(int fd, const char *name, uint64_t size, uint64_t data,
                            uint64_t data_line, uint64_t data_recs, int quote, int tab_blank,
                            const struct kx_shard *sh, size_t chunk,
                            struct kx_shard_range *out, struct kx_err *e);

#endif
