/* progress.h - predict's --progress display on stderr.
 *
 * On a terminal: one line, redrawn with '\r' at most five times a second,
 * from the first rows scored on (nothing before there is something to
 * say): rows, rows/s and, when the input's size is known, a bar, the
 * percentage and the time left; erased at the end. On anything else (a
 * file, a pipe): never a '\r', a plain line "kanx: progress: ..." every
 * ten seconds, and one at the end with the rows, the wall time and the
 * rate. Counts are grouped by thousands (kx_format_count). */
#ifndef KX_PROGRESS_H
#define KX_PROGRESS_H

struct kx_progress {
	int tty;          /* stderr is a terminal: redraw with '\r' */
	int shown;        /* a line is on the terminal */
	double t_start;   /* ms (kx_clock_ms) */
	double t_shown;   /* when the last frame was drawn */
};

/* Start at now (ms): the first frame comes after a first interval. */
void kx_progress_start(struct kx_progress *g, int tty, double now);

/* rows scored so far; done of total input bytes parsed (total 0: not
 * known). final: the last frame of an input (on a terminal only). */
void kx_progress_show(struct kx_progress *g, unsigned long long rows, unsigned long long done,
                      unsigned long long total, int final);

/* The end: erase the terminal's line, or elsewhere print the last line. */
void kx_progress_end(struct kx_progress *g, unsigned long long rows);

#endif
