/* bench/serve_latency.c - drive `kanx serve-stdin` as a co-process and
 * measure it (see bench/serve_latency.sh, which builds and runs this).
 *
 *   serve_latency latency KANX MODEL N
 *       N one-row predicts, lock-step (send, wait for the reply): prints
 *       throughput and p50/p90/p99/max round-trip latency.
 *   serve_latency mixed KANX MODEL N
 *       N mixed requests (valid, malformed, over the line limit, wrong
 *       width, ragged, load of a bad file, load of a missing file, health),
 *       lock-step; checks one reply per request with the expected status
 *       and samples the server's VmRSS every N/10 requests.
 *
 * Plain POSIX; not part of the kanx build. */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

struct child {
	pid_t pid;
	int to, from;
	char buf[1 << 16];
	size_t pos, end;
	char *line;
	size_t cap;
};

static void
die(const char *msg)
{
	perror(msg);
	exit(1);
}

static void
spawn(struct child *c, char *const argv[])
{
	int in[2], out[2];

	if (pipe(in) != 0 || pipe(out) != 0)
		die("pipe");
	c->pid = fork();
	if (c->pid < 0)
		die("fork");
	if (c->pid == 0) {
		dup2(in[0], 0);
		dup2(out[1], 1);
		close(in[0]);
		close(in[1]);
		close(out[0]);
		close(out[1]);
		execv(argv[0], argv);
		_exit(127);
	}
	close(in[0]);
	close(out[1]);
	c->to = in[1];
	c->from = out[0];
}

static void
send_all(struct child *c, const char *s, size_t n)
{
	while (n > 0) {
		ssize_t w = write(c->to, s, n);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			die("write");
		}
		s += w;
		n -= (size_t)w;
	}
}

/* One reply line (without '\n') into c->line; returns its length. */
static size_t
recv_line(struct child *c)
{
	size_t len = 0;

	for (;;) {
		char *nl;
		size_t take;
		if (c->pos == c->end) {
			ssize_t r = read(c->from, c->buf, sizeof c->buf);
			if (r < 0 && errno == EINTR)
				continue;
			if (r <= 0) {
				fprintf(stderr, "serve_latency: the server closed its output\n");
				exit(1);
			}
			c->pos = 0;
			c->end = (size_t)r;
		}
		nl = memchr(c->buf + c->pos, '\n', c->end - c->pos);
		take = nl ? (size_t)(nl - (c->buf + c->pos)) : c->end - c->pos;
		if (len + take + 1 > c->cap) {
			c->cap = (len + take + 1) * 2;
			c->line = realloc(c->line, c->cap);
			if (c->line == NULL)
				die("realloc");
		}
		memcpy(c->line + len, c->buf + c->pos, take);
		len += take;
		c->pos += take + (nl ? 1 : 0);
		if (nl) {
			c->line[len] = '\0';
			return len;
		}
	}
}

static double
now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static long
rss_kib(pid_t pid)
{
	char path[64], line[256];
	long kib = -1;
	FILE *f;

	snprintf(path, sizeof path, "/proc/%ld/status", (long)pid);
	f = fopen(path, "r");
	if (f == NULL)
		return -1;
	while (fgets(line, sizeof line, f))
		if (strncmp(line, "VmRSS:", 6) == 0)
			kib = strtol(line + 6, NULL, 10);
	fclose(f);
	return kib;
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* The model's input width, from {"op": "info"}. */
static long
in_features(struct child *c)
{
	const char *p;

	send_all(c, "{\"op\": \"info\"}\n", 15);
	recv_line(c);
	p = strstr(c->line, "\"in_features\": ");
	if (p == NULL) {
		fprintf(stderr, "serve_latency: no in_features in %s\n", c->line);
		exit(1);
	}
	return strtol(p + 15, NULL, 10);
}

static char *
predict_line(long in, long rows, double v)
{
	size_t cap = (size_t)(in * rows) * 16 + 64, o = 0;
	char *s = malloc(cap);
	long i, j;

	if (s == NULL)
		die("malloc");
	o += (size_t)snprintf(s + o, cap - o, "{\"x\": [");
	for (i = 0; i < rows; i++) {
		o += (size_t)snprintf(s + o, cap - o, "%s[", i ? ", " : "");
		for (j = 0; j < in; j++)
			o += (size_t)snprintf(s + o, cap - o, "%s%.6f", j ? ", " : "", v + 0.01 * (double)j);
		o += (size_t)snprintf(s + o, cap - o, "]");
	}
	snprintf(s + o, cap - o, "]}\n");
	return s;
}

static void
latency(struct child *c, long n, long rows)
{
	long in = in_features(c), i;
	double *lat = malloc(sizeof *lat * (size_t)n), t0, t1, total;
	char *req = predict_line(in, rows, 0.25);
	size_t len = strlen(req);

	if (lat == NULL)
		die("malloc");
	for (i = 0; i < 1000 / rows + 1 && i < n; i++) {  /* warm up */
		send_all(c, req, len);
		recv_line(c);
	}
	t0 = now_us();
	for (i = 0; i < n; i++) {
		double a = now_us();
		send_all(c, req, len);
		recv_line(c);
		lat[i] = now_us() - a;
		if (strncmp(c->line, "{\"output\"", 9) != 0) {
			fprintf(stderr, "serve_latency: unexpected reply %s\n", c->line);
			exit(1);
		}
	}
	t1 = now_us();
	total = (t1 - t0) / 1e6;
	qsort(lat, (size_t)n, sizeof *lat, cmp_double);
	printf("latency: %ld %ld-row predicts (%ld features, %zu bytes each), lock-step\n", n, rows,
	       in, len);
	printf("  throughput  %.0f requests/s\n", (double)n / total);
	printf("  round trip  p50 %.1f us  p90 %.1f us  p99 %.1f us  max %.1f us\n",
	       lat[n / 2], lat[n * 9 / 10], lat[n * 99 / 100], lat[n - 1]);
	free(lat);
	free(req);
}

static void
mixed(struct child *c, long n, const char *bad_model)
{
	long in = in_features(c), i, counts[9] = { 0 };
	char *good = predict_line(in, 1, 0.5), *wide = predict_line(in + 1, 1, 0.5);
	char *big = predict_line(in, 8, 0.1);
	char *over = malloc(20000), load_bad[4200], load_missing[128];
	long rss_first = -1, rss_last = -1, rss_max = 0;
	static const char *const want[9] = {
		"{\"output\"", "{\"status\": 422", "{\"status\": 413", "{\"status\": 400, \"detail\": \"Expected",
		"{\"status\": 400, \"detail\": \"x must be", "{\"status\": 400, \"detail\": \"Failed to load",
		"{\"status\": 404", "{\"status\": \"ok\"", "{\"output\""
	};

	if (over == NULL)
		die("malloc");
	memset(over, ' ', 19998);
	memcpy(over, "{\"x\": [1", 8);
	over[19998] = ']';
	over[19999] = '\0';
	snprintf(load_bad, sizeof load_bad, "{\"op\": \"load\", \"path\": \"%s\"}\n", bad_model);
	snprintf(load_missing, sizeof load_missing, "{\"op\": \"load\", \"path\": \"/nonexistent/model.keras\"}\n");
	for (i = 0; i < n; i++) {
		int k = (int)(i % 9);
		switch (k) {
		case 0: send_all(c, good, strlen(good)); break;
		case 1: send_all(c, "{\"x\": [1, 2,, ]}\n", 17); break;
		case 2: send_all(c, over, strlen(over)); send_all(c, "}\n", 2); break;
		case 3: send_all(c, wide, strlen(wide)); break;
		case 4: send_all(c, "{\"x\": [[1], [2, 3]]}\n", 21); break;
		case 5: send_all(c, load_bad, strlen(load_bad)); break;
		case 6: send_all(c, load_missing, strlen(load_missing)); break;
		case 7: send_all(c, "{\"op\": \"health\"}\n", 17); break;
		case 8: send_all(c, big, strlen(big)); break;
		}
		recv_line(c);
		if (strncmp(c->line, want[k], strlen(want[k])) != 0) {
			fprintf(stderr, "serve_latency: request %ld (kind %d): unexpected reply %.200s\n", i, k, c->line);
			exit(1);
		}
		counts[k]++;
		if ((i + 1) % (n / 10 > 0 ? n / 10 : 1) == 0) {
			long r = rss_kib(c->pid);
			if (rss_first < 0)
				rss_first = r;
			rss_last = r;
			if (r > rss_max)
				rss_max = r;
			printf("  after %7ld requests: VmRSS %ld KiB\n", i + 1, r);
		}
	}
	printf("mixed: %ld requests answered one for one with the expected status\n", n);
	printf("  VmRSS first sample %ld KiB, last %ld KiB, max %ld KiB\n", rss_first, rss_last, rss_max);
	free(good);
	free(wide);
	free(big);
	free(over);
}

int
main(int argc, char **argv)
{
	struct child c;
	char *args[8];
	long n;
	int st;

	if (argc < 5) {
		fprintf(stderr, "usage: serve_latency latency KANX MODEL N [ROWS]\n"
		                "       serve_latency mixed KANX MODEL N [BAD_MODEL]\n");
		return 2;
	}
	memset(&c, 0, sizeof c);
	n = strtol(argv[4], NULL, 10);
	if (n < 10) {
		fprintf(stderr, "serve_latency: N must be at least 10\n");
		return 2;
	}
	args[0] = argv[2];
	args[1] = "serve-stdin";
	args[2] = "-m";
	args[3] = argv[3];
	args[4] = "--max-line";
	args[5] = "16384";  /* the mixed stream sends one line over it */
	args[6] = NULL;
	if (strcmp(argv[1], "latency") == 0)
		args[4] = NULL;
	signal(SIGPIPE, SIG_IGN);
	spawn(&c, args);
	if (strcmp(argv[1], "latency") == 0)
		latency(&c, n, argc > 5 && strtol(argv[5], NULL, 10) > 0 ? strtol(argv[5], NULL, 10) : 1);
	else if (strcmp(argv[1], "mixed") == 0)
		mixed(&c, n, argc > 5 ? argv[5] : "/dev/null");
	else {
		fprintf(stderr, "serve_latency: unknown mode %s\n", argv[1]);
		return 2;
	}
	close(c.to);
	waitpid(c.pid, &st, 0);
	free(c.line);
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
		fprintf(stderr, "serve_latency: the server exited with status %d\n", WIFEXITED(st) ? WEXITSTATUS(st) : -1);
		return 1;
	}
	return 0;
}
