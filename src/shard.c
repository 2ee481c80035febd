/* shard.c - predict --shard K/N: parse K/N (or take it from an array
 * job's environment) and locate shard K's byte range (see shard.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "err.h"
#include "kxlimits.h"
#include "shard.h"
#include "stop.h"

#define SCAN_CHUNK ((size_t)1 << 20)

/* ---- K/N ---------------------------------------------------------------- */

static int
bad_value(const char *arg, struct kx_err *e)
{
	return kx_err_set(e, KX_EXIT_USAGE,
	                  "invalid value '%s' for --shard: expected K/N (shard K of N, "
	                  "1 <= K <= N <= %lu), auto or auto/N", arg, KX_SHARD_MAX);
}

/* A whole decimal number in [0, KX_SHARD_MAX * 16] (array task IDs can be
 * a little above the shard count), or -1. */
static long
number(const char *s)
{
	size_t v;

	if (kx_parse_size(s, 0, KX_SHARD_MAX * 16, &v) != 0)
		return -1;
	return (long)v;
}

/* An array job's task: its ID and the array's range (-1: not set). */
struct task {
	const char *id_var;
	long id, first, last, step, count;
};

/* The variable var as a number in *out (-1 when unset). Returns 0, 1 when
 * it is unset, empty or "undefined" (Grid Engine's value outside an array
 * job) and not needed, -1 with e set when it is bad or needed. */
static int
env_num(char *(*env)(const char *), const char *var, long *out, int need, struct kx_err *e)
{
	const char *v = env(var);

	*out = -1;
	if (!v || !*v || strcmp(v, "undefined") == 0) {
		if (need)
			return kx_err_set(e, KX_EXIT_USAGE, "--shard auto: %s is not set", var);
		return 1;
	}
	if ((*out = number(v)) < 0)
		return kx_err_set(e, KX_EXIT_USAGE,
		                  "--shard auto: %s='%s' is not a whole number from 0 to %lu",
		                  var, v, KX_SHARD_MAX * 16);
	return 0;
}

/* Slurm's or Grid Engine's array task, from the variables named (count:
 * NULL when the engine has none); the range only when need_range.
 * Returns 0, 1 when the ID is not set, -1 with e set when a value is bad
 * or the range does not hold the task in even steps. */
static int
array_task(char *(*env)(const char *), const char *id, const char *first,
           const char *last, const char *step, const char *count, int need_range,
           struct task *t, struct kx_err *e)
{
	int rc;

	t->id_var = id;
	if ((rc = env_num(env, id, &t->id, 0, e)) != 0)
		return rc;
	if (!need_range)
		return 0;
	if (env_num(env, first, &t->first, 1, e) < 0 || env_num(env, last, &t->last, 1, e) < 0 ||
	    env_num(env, step, &t->step, 0, e) < 0 || (count && env_num(env, count, &t->count, 0, e) < 0))
		return -1;
	if (t->step < 0)
		t->step = 1;
	if (t->step == 0 || t->last < t->first || (t->last - t->first) % t->step != 0 ||
	    t->id < t->first || t->id > t->last || (t->id - t->first) % t->step != 0 ||
	    (count && t->count >= 0 && t->count != (t->last - t->first) / t->step + 1))
		return kx_err_set(e, KX_EXIT_USAGE,
		                  "--shard auto: the array is not an evenly stepped range holding the task "
		                  "(%s=%ld, %s=%ld, %s=%ld, %s=%ld%s): give --shard auto/N or K/N",
		                  id, t->id, first, t->first, last, t->last, step, t->step,
		                  count ? ", and its task count" : "");
	return 0;
}

static int
set_kn(struct kx_shard *sh, long k, long n, const char *arg, struct kx_err *e)
{
	if (n < 1 || (unsigned long)n > KX_SHARD_MAX || k < 1 || k > n) {
		if (n >= 1 && (unsigned long)n <= KX_SHARD_MAX)
			return kx_err_set(e, KX_EXIT_USAGE, "--shard %s: %s gives shard %ld, not one of 1..%ld",
			                  arg, sh->from, k, n);
		return kx_err_set(e, KX_EXIT_USAGE, "--shard %s: %s gives %ld shards; expected 1 to %lu",
		                  arg, sh->from, n, KX_SHARD_MAX);
	}
	sh->k = (unsigned long)k;
	sh->n = (unsigned long)n;
	return 0;
}

/* --shard auto (n < 0) or auto/N. */
static int
shard_auto(const char *arg, long n, char *(*env)(const char *), struct kx_shard *sh,
           struct kx_err *e)
{
	struct task t;
	int rc;

	/* Slurm */
	rc = array_task(env, "SLURM_ARRAY_TASK_ID", "SLURM_ARRAY_TASK_MIN", "SLURM_ARRAY_TASK_MAX",
	                "SLURM_ARRAY_TASK_STEP", "SLURM_ARRAY_TASK_COUNT", n < 0, &t, e);
	/* Grid Engine */
	if (rc == 1)
		rc = array_task(env, "SGE_TASK_ID", "SGE_TASK_FIRST", "SGE_TASK_LAST",
		                "SGE_TASK_STEPSIZE", NULL, n < 0, &t, e);
	if (rc < 0)
		return -1;
	if (rc == 0) {
		if (n < 0) {
			snprintf(sh->from, sizeof sh->from, "%s=%ld of %ld-%ld:%ld", t.id_var, t.id,
			         t.first, t.last, t.step);
			if (t.first == t.last)
				snprintf(sh->warn, sizeof sh->warn,
				         "--shard auto: %s=%ld is an array of one task: shard 1/1, the whole "
				         "input (to run shard K of N alone, give --shard K/N or auto/N)",
				         t.id_var, t.id);
			return set_kn(sh, (t.id - t.first) / t.step + 1,
			              (t.last - t.first) / t.step + 1, arg, e);
		}
		snprintf(sh->from, sizeof sh->from, "%s=%ld", t.id_var, t.id);
		return set_kn(sh, t.id, n, arg, e);
	}
	/* Kubernetes indexed Jobs: a 0-based index, no count */
	if ((rc = env_num(env, "JOB_COMPLETION_INDEX", &t.id, 0, e)) < 0)
		return -1;
	if (rc == 0) {
		if (n < 0)
			return kx_err_set(e, KX_EXIT_USAGE,
			                  "--shard auto: JOB_COMPLETION_INDEX gives this shard's index but not "
			                  "the number of shards: give --shard auto/N, N = the Job's completions");
		snprintf(sh->from, sizeof sh->from, "JOB_COMPLETION_INDEX=%ld", t.id);
		return set_kn(sh, t.id + 1, n, arg, e);
	}
	return kx_err_set(e, KX_EXIT_USAGE,
	                  "--shard %s: not in an array job: none of SLURM_ARRAY_TASK_ID, SGE_TASK_ID "
	                  "and JOB_COMPLETION_INDEX is set (give --shard K/N)", arg);
}

int
kx_shard_parse(const char *arg, char *(*env)(const char *), struct kx_shard *sh,
               struct kx_err *e)
{
	const char *slash = strchr(arg, '/');
	char kbuf[32];
	size_t klen = slash ? (size_t)(slash - arg) : strlen(arg);
	long k, n = -1;

	memset(sh, 0, sizeof *sh);
	if (klen >= sizeof kbuf)
		return bad_value(arg, e);
	memcpy(kbuf, arg, klen);
	kbuf[klen] = '\0';
	if (slash && ((n = number(slash + 1)) < 1 || (unsigned long)n > KX_SHARD_MAX))
		return bad_value(arg, e);
	if (strcmp(kbuf, "auto") == 0)
		return shard_auto(arg, n, env, sh, e);
	if (!slash || (k = number(kbuf)) < 1 || k > n)
		return bad_value(arg, e);
	snprintf(sh->from, sizeof sh->from, "--shard %ld/%ld", k, n);
	sh->k = (unsigned long)k;
	sh->n = (unsigned long)n;
	return 0;
}

/* ---- the cuts ------------------------------------------------------------ */

uint64_t
kx_shard_cut(uint64_t d, uint64_t s, unsigned long j, unsigned long n)
{
	uint64_t len = s - d, q = len / n, rm = len % n;

	/* len * j / n without overflow: rm * j < n * n <= 10^12 */
	return d + q * j + rm * j / n;
}

/* The scan: walks the bytes from D, one line at a time, and stops at the
 * first record start at or after t_hi. */
struct scan {
	int quotes;             /* CSV, TSV: a newline in quotes ends no record */
	char tab;               /* '\t' when a tab is blank (not TSV), else ' ' */
	int inq;                /* an odd number of '"' since the record's start */
	int blank;              /* the record so far is 0: [ \t]*, 1: [ \t]*\r, 2: not blank */
	uint64_t line, recs;    /* at the byte being scanned */
	uint64_t t_lo, t_hi;
	int have_lo;
	struct kx_shard_range *g;
};

/* A record starts at x. Returns 1 when the shard is located. */
static int
record_start(struct scan *s, uint64_t x)
{
	if (!s->have_lo && x >= s->t_lo) {
		s->have_lo = 1;
		s->g->lo = x;
		s->g->line = s->line;
		s->g->recs = s->recs;
	}
	if (s->have_lo && x >= s->t_hi) {
		s->g->hi = x;
		return 1;
	}
	return 0;
}

/* Scan p[0, len), the file's bytes from offset base. Returns 1 when the
 * shard is located. */
static int
scan_bytes(struct scan *s, const char *p, size_t len, uint64_t base)
{
	const char *b = p, *e = p + len, *nl, *seg, *q;

	while (p < e) {
		nl = memchr(p, '\n', (size_t)(e - p));
		seg = nl ? nl : e;
		if (s->quotes) {
			for (q = memchr(p, '"', (size_t)(seg - p)); q;
			     q = memchr(q + 1, '"', (size_t)(seg - q - 1)))
				s->inq = !s->inq;
		}
		/* a record is blank while it holds nothing but [ \t]*\r? (a
		 * quoted one never is: it holds '"') */
		for (q = p; q < seg && s->blank != 2; q++) {
			if (*q == ' ' || *q == s->tab)
				s->blank = s->blank == 0 ? 0 : 2;
			else if (*q == '\r')
				s->blank = s->blank == 0 ? 1 : 2;
			else
				s->blank = 2;
		}
		if (!nl)
			return 0;
		s->line++;
		p = nl + 1;
		if (s->inq) {
			s->blank = 2;
			continue;  /* a newline inside quotes: the record goes on */
		}
		s->recs += s->blank == 2;
		s->blank = 0;
		if (record_start(s, base + (uint64_t)(p - b)))
			return 1;
	}
	return 0;
}

int
kx_shard_locate(int fd, const char *name, uint64_t size, uint64_t data,
                uint64_t data_line, uint64_t data_recs, int framing,
                const struct kx_shard *sh, size_t chunk,
                struct kx_shard_range *out, struct kx_err *e)
{
	struct scan s;
	uint64_t off = data;
	char *buf = NULL;
	ssize_t n;
	size_t want;

	memset(out, 0, sizeof *out);
	if (data > size)
		data = off = size;
	out->data = data;
	out->size = size;
	memset(&s, 0, sizeof s);
	s.quotes = framing != KX_SHARD_LINES;
	s.tab = framing == KX_SHARD_TSV ? ' ' : '\t';
	s.line = data_line;
	s.recs = data_recs;
	s.t_lo = kx_shard_cut(data, size, sh->k - 1, sh->n);
	s.t_hi = kx_shard_cut(data, size, sh->k, sh->n);
	s.g = out;
	if (record_start(&s, data))
		return 0;
	if (chunk == 0)
		chunk = SCAN_CHUNK;
	if (!(buf = malloc(chunk)))
		return kx_err_set(e, KX_EXIT_INTERNAL, "%s: out of memory", name);
	while (off < size) {
		if (kx_stop_signal()) {
			kx_err_set(e, KX_EXIT_IO, "%s: reading stopped by %s", name,
			           kx_stop_name(kx_stop_signal()));
			free(buf);
			return -1;
		}
		want = size - off < chunk ? (size_t)(size - off) : chunk;
		n = pread(fd, buf, want, (off_t)off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			kx_err_set(e, KX_EXIT_IO, "%s: read error: %s", name, strerror(errno));
			free(buf);
			return -1;
		}
		if (n == 0)
			break;  /* the file got shorter: it ends here */
		if (scan_bytes(&s, buf, (size_t)n, off)) {
			free(buf);
			return 0;
		}
		off += (uint64_t)n;
	}
	free(buf);
	/* the end of the file ends the last record */
	if (!s.have_lo) {
		out->lo = off;
		out->line = s.line;
		out->recs = s.recs;
	}
	out->hi = off;
	return 0;
}
