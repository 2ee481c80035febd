/* clock.h - the two clocks kanx reads: monotonic for durations and
 * deadlines, the wall clock for timestamps shown to the user. */
#ifndef KX_CLOCK_H
#define KX_CLOCK_H

/* Milliseconds on the monotonic clock (CLOCK_MONOTONIC), from an arbitrary
 * origin: only differences mean anything. */
double kx_clock_ms(void);

/* Seconds since the Unix epoch on the wall clock (CLOCK_REALTIME), with
 * the fraction. */
double kx_clock_unix(void);

#endif
