/* stop.c - being asked to stop (see stop.h). */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "stop.h"

static const int stop_signals[] = { SIGTERM, SIGINT, SIGHUP, SIGPIPE };
#define N_SIGNALS (sizeof stop_signals / sizeof stop_signals[0])

static atomic_int first_sig;       /* lock-free: safe in a handler */
static int wake[2] = { -1, -1 };   /* the self-pipe: [0] polled, [1] written once */
static int ignored[N_SIGNALS];
static char tmp_path[4096];
static volatile sig_atomic_t tmp_set;

static void
on_signal(int sig)
{
	int saved = errno, none = 0;

	if (atomic_compare_exchange_strong(&first_sig, &none, sig)) {
		if (wake[1] >= 0)
			(void)!write(wake[1], "", 1);
	} else if (sig != SIGPIPE) {
		/* asked twice: go now */
		if (tmp_set)
			unlink(tmp_path);
		signal(sig, SIG_DFL);
		raise(sig);
	}
	errno = saved;
}

int
kx_stop_init(void)
{
	struct sigaction sa, old;
	size_t i;

	if (wake[0] < 0) {
		if (pipe(wake) != 0)
			return -1;
		for (i = 0; i < 2; i++)
			if (fcntl(wake[i], F_SETFD, FD_CLOEXEC) != 0 ||
			    fcntl(wake[i], F_SETFL, O_NONBLOCK) != 0)
				return -1;
	}
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;
	sa.sa_flags = 0;  /* no SA_RESTART: a blocked read or write returns EINTR */
	sigemptyset(&sa.sa_mask);
	for (i = 0; i < N_SIGNALS; i++)
		sigaddset(&sa.sa_mask, stop_signals[i]);
	for (i = 0; i < N_SIGNALS; i++) {
		if (sigaction(stop_signals[i], NULL, &old) != 0)
			return -1;
		ignored[i] = old.sa_handler == SIG_IGN;
		if (!ignored[i] && sigaction(stop_signals[i], &sa, NULL) != 0)
			return -1;
	}
	signal(SIGXFSZ, SIG_IGN);
	return 0;
}

int
kx_stop_signal(void)
{
	return atomic_load_explicit(&first_sig, memory_order_relaxed);
}

int
kx_stop_fd(void)
{
	return wake[0];
}

int
kx_stop_ignored(int sig)
{
	size_t i;

	for (i = 0; i < N_SIGNALS; i++)
		if (stop_signals[i] == sig)
			return ignored[i];
	return 0;
}

void
kx_stop_tmp(const char *path)
{
	size_t n;

	tmp_set = 0;
	atomic_signal_fence(memory_order_seq_cst);
	if (!path || (n = strlen(path)) >= sizeof tmp_path)
		return;
	memcpy(tmp_path, path, n + 1);
	atomic_signal_fence(memory_order_seq_cst);
	tmp_set = 1;
}

const char *
kx_stop_name(int sig)
{
	static char buf[32];

	switch (sig) {
	case SIGTERM: return "SIGTERM";
	case SIGINT: return "SIGINT";
	case SIGHUP: return "SIGHUP";
	case SIGPIPE: return "SIGPIPE";
	}
	snprintf(buf, sizeof buf, "signal %d", sig);
	return buf;
}
