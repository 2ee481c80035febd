/* progress.c - predict's --progress display (progress.h). */
#include <stdio.h>

#include "clock.h"
#include "numfmt.h"
#include "progress.h"

#define PROGRESS_TTY_MS 200.0
#define PROGRESS_LOG_MS 10000.0
#define BAR 20

void
kx_progress_start(struct kx_progress *g, int tty, double now)
{
	g->tty = tty;
	g->shown = 0;
	g->t_start = now;
	g->t_shown = now;
}

void
kx_progress_show(struct kx_progress *g, unsigned long long rows, unsigned long long done,
                 unsigned long long total, int final)
{
	double now = kx_clock_ms(), secs, rate;
	char line[160], nrows[KX_COUNT_BUF], per[KX_COUNT_BUF];
	int n;

	if (rows == 0 || (!g->tty && final))
		return;
	if (!final && now - g->t_shown < (g->tty ? PROGRESS_TTY_MS : PROGRESS_LOG_MS))
		return;
	g->t_shown = now;
	secs = (now - g->t_start) / 1000.0;
	rate = secs > 0 ? (double)rows / secs : 0.0;
	kx_format_count(rows, nrows);
	kx_format_count((unsigned long long)(rate + 0.5), per);
	n = snprintf(line, sizeof line, "%s rows, %s rows/s", nrows, per);
	if (total > 0 && n > 0 && (size_t)n < sizeof line) {
		double frac = (double)done / (double)total;
		char bar[BAR + 1];
		int i, fill;

		if (frac > 1.0)
			frac = 1.0;
		fill = (int)(frac * BAR);
		for (i = 0; i < BAR; i++)
			bar[i] = i < fill ? '#' : '.';
		bar[BAR] = '\0';
		n += snprintf(line + n, sizeof line - (size_t)n, "  [%s] %3.0f%%", bar, frac * 100.0);
		if (frac > 0.0 && frac < 1.0 && (size_t)n < sizeof line)
			snprintf(line + n, sizeof line - (size_t)n, "  ETA %.0fs", secs * (1.0 - frac) / frac);
	}
	if (g->tty) {
		fprintf(stderr, "\r%-70s", line);
		g->shown = 1;
	} else {
		fprintf(stderr, "kanx: progress: %s\n", line);
	}
	fflush(stderr);
}

void
kx_progress_end(struct kx_progress *g, unsigned long long rows)
{
	if (g->shown) {
		fprintf(stderr, "\r%-70s\r", "");
		fflush(stderr);
		g->shown = 0;
	} else if (!g->tty) {
		double secs = (kx_clock_ms() - g->t_start) / 1000.0;
		char nrows[KX_COUNT_BUF], per[KX_COUNT_BUF];

		kx_format_count(rows, nrows);
		kx_format_count((unsigned long long)(secs > 0 ? (double)rows / secs + 0.5 : 0.0), per);
		fprintf(stderr, "kanx: progress: %s rows in %.1f s, %s rows/s\n", nrows, secs, per);
		fflush(stderr);
	}
}
