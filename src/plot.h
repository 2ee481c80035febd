/* plot.h - the edge functions of KAN layers for people: which edges
 * (--edges LAYER[:IN[:OUT]]), how much each matters, their samples as CSV,
 * and pictures as SVG (the whole network, or one layer's edges).
 *
 * The importance of an edge from input i to output o is pykan's score
 * with no data: the mean of |phi(x)| over KX_SCORE_POINTS evenly spaced
 * points of input i's grid, from its first knot to its last (both
 * included), that is the L1 norm of phi over the grid divided by the
 * grid's span. A non-finite mean counts as 0.
 *
 * The functions here write to a sink and never print; the sink's own
 * failures stay in the sink (sticky) for the caller to report. They
 * return 0, or -1 with e set (KX_EXIT_USAGE for a selection that does
 * not fit the model, KX_EXIT_INTERNAL when out of memory). */
#ifndef KX_PLOT_H
#define KX_PLOT_H

#include <stddef.h>
#include "err.h"
#include "model.h"
#include "sink.h"

#define KX_SCORE_POINTS 201   /* points of the grid an edge's importance is the mean over */
#define KX_PLOT_MAX_PANELS 120 /* edge panels one picture holds (8 a row, 15 rows) */
#define KX_PLOT_TOP 24        /* edge panels drawn when --top is not given */

/* Which edges: layer LAYER, and when has_in / has_out, only input IN /
 * output OUT. */
struct kx_edge_sel {
	size_t layer;
	int has_in, has_out;
	size_t in, out;
};

/* One edge and its importance (the score is 0 when not computed). */
struct kx_edge {
	size_t in, out;
	double score;
};

/* Parse "LAYER", "LAYER:IN", "LAYER:IN:OUT" or "LAYER::OUT" (decimal,
 * from 0). Returns 0, or -1 with e set (KX_EXIT_USAGE) naming s. */
int kx_edge_sel_parse(const char *s, struct kx_edge_sel *sel, struct kx_err *e);

/* Check that sel names a KAN layer of m and inputs and outputs it has.
 * Returns 0, or -1 with e set (KX_EXIT_USAGE), naming m->path. */
int kx_edge_sel_check(const struct kx_model *m, const struct kx_edge_sel *sel, struct kx_err *e);

/* The x range sampled for feature i of KAN layer l (CSV and panels):
 * its grid plus a tenth of its span on either side. */
void kx_edge_range(const struct kx_layer *l, size_t i, float *x0, float *x1);

/* The importance of edge (i, o) of KAN layer l, as above. */
double kx_edge_score(const struct kx_layer *l, size_t i, size_t o);

/* The edges sel picks from m (checked with kx_edge_sel_check). With
 * top 0: all of them in the order input 0 to output 0, 1, ..., then
 * input 1, ..., scores not computed. With top > 0: the top most important,
 * most important first (ties in that order). *edges is the caller's to
 * free(); *n their count, *total the count sel picks before top. */
int kx_edges_pick(const struct kx_model *m, const struct kx_edge_sel *sel, size_t top,
                  struct kx_edge **edges, size_t *n, size_t *total, struct kx_err *e);

/* The CSV of inspect --edges: "layer,in,out,x,phi", then samples rows per
 * edge of edges[0, n) (samples >= 2), x over kx_edge_range. */
int kx_edges_csv(struct kx_sink *s, const struct kx_model *m, size_t layer,
                 const struct kx_edge *edges, size_t n, size_t samples);

/* One SVG picture of edges[0, n) of KAN layer `layer` (n <= 
 * KX_PLOT_MAX_PANELS, in the order given, scores computed; total: the
 * edges the selection held, for the caption): one panel per edge, eight
 * (or fewer) a row, each with its curve at min(samples, 1000) points,
 * x and y axes with tick values, the knots, the zero line and the parts
 * outside the grid shaded; one y scale per row of panels. Its size is
 * bounded by KX_PLOT_MAX_PANELS, whatever the layer. */
int kx_plot_edges(struct kx_sink *s, const struct kx_model *m, size_t layer,
                  const struct kx_edge *edges, size_t n, size_t total, size_t samples,
                  struct kx_err *e);

/* One SVG picture of the whole network: a column of nodes per feature
 * vector (the input, then each layer's output), each layer's edges
 * between them with width and opacity by importance relative to the
 * layer's most important edge (Dense layers: by |weight|): at most
 * KX_OVERVIEW_EDGES a layer and KX_OVERVIEW_TOTAL over the layers (but
 * 16 a layer), the weakest left out, and those under 1% of the layer's
 * strongest (the picture says how many). Its size in pixels is at most
 * 2,560 x 1,102 whatever the widths and the layer count; its bytes grow
 * with the layer count only past 768 layers. */
#define KX_OVERVIEW_EDGES 4096
#define KX_OVERVIEW_TOTAL 12288
int kx_plot_overview(struct kx_sink *s, const struct kx_model *m, struct kx_err *e);

#endif
