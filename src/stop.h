/* stop.h - being asked to stop: SIGTERM, SIGINT, SIGHUP and SIGPIPE.
 *
 * kx_stop_init installs one handler for the four signals (leaving alone
 * any of them that was ignored when kanx started, as under nohup or in a
 * background job), without SA_RESTART. The handler records the first
 * signal and makes kx_stop_fd() readable, so that a thread waiting in
 * poll(2) on an input or an output wakes whichever thread the signal was
 * delivered to; a read or write it interrupts fails with EINTR. Work then
 * ends at the next boundary that keeps the output whole (see sink.h) and
 * main.c turns the signal into exit status 128+signal.
 *
 * A second SIGTERM, SIGINT or SIGHUP ends kanx at once by that signal,
 * after removing the temporary file named with kx_stop_tmp, if any.
 *
 * SIGXFSZ is ignored, so that a write beyond `ulimit -f` fails with EFBIG
 * (an ordinary write error) instead of killing kanx mid-line. */
#ifndef KX_STOP_H
#define KX_STOP_H

/* Install the handlers and open the wake-up pipe. Call once, before any
 * thread starts. Returns 0, or -1 with errno set. */
int kx_stop_init(void);

/* The first signal that asked to stop, or 0. Safe from any thread. */
int kx_stop_signal(void);

/* A descriptor that becomes readable (and stays readable) once a stop is
 * asked: poll it with POLLIN next to the descriptor waited on. -1 before
 * kx_stop_init. */
int kx_stop_fd(void);

/* 1 if sig was ignored when kanx started (its handler is not installed). */
int kx_stop_ignored(int sig);

/* Name a temporary file to remove if a second signal ends kanx at once;
 * NULL forgets it. The path is copied (up to 4095 bytes; a longer one is
 * not remembered). Call from the main thread only. */
void kx_stop_tmp(const char *path);

/* "SIGTERM", "SIGINT", ... for the four signals, else "signal N" in a
 * static buffer. */
const char *kx_stop_name(int sig);

#endif
