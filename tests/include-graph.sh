#!/bin/sh
# tests/include-graph.sh [-m] DIR - the graph of #include "..." among the
# C files of DIR (DIR/*.c, DIR/*.h), and its cycles.
#
# Without -m the nodes are the files: an edge a -> b for each #include "b"
# in a that names a file of DIR (system headers and <...> are left out).
# With -m the nodes are modules: X.c and X.h are one node X; a header
# with no .c of its own (kernel_impl.h, layer.h) is no node, and an
# include of it stands for what it includes in turn.
#
# Prints each cycle found by a depth-first walk, one a line
# ("a.h -> b.h -> a.h"), and exits 1; with none, prints
# "include-graph: N nodes, M edges, no cycle" and exits 0. Exit 2 on a
# usage error. Run by tests/sources.bats on src/.
set -u
mod=0
if [ "${1:-}" = -m ]; then
	mod=1
	shift
fi
[ $# -eq 1 ] && [ -d "$1" ] || { echo "usage: $0 [-m] DIR" >&2; exit 2; }
cd "$1" || exit 2
set -- *.c *.h
[ -e "$1" ] || { echo "include-graph: no C files in $PWD" >&2; exit 2; }
for f in "$@"; do
	[ -f "$f" ] || continue
	echo "F $f"
	sed -n 's/^[ 	]*#[ 	]*include[ 	]*"\([^"]*\)".*/\1/p' "$f" | while read -r h; do
		echo "I $f $h"
	done
done | LC_ALL=C awk -v mod="$mod" '
$1 == "F" { file[$2] = 1; nf++; order[nf] = $2; next }
$1 == "I" { ni[$2]++; inc[$2, ni[$2]] = $3; next }
# the node a file belongs to ("" for a header with no .c: transparent)
function node(f,    b) {
	if (!mod)
		return f
	b = f
	sub(/\.[ch]$/, "", b)
	return (b ".c") in file ? b : ""
}
# the edges from node n through file f, headers without a node followed
function expand(n, f,    i, h, t) {
	for (i = 1; i <= ni[f]; i++) {
		h = inc[f, i]
		if (!(h in file) || (n, h) in seen)
			continue
		seen[n, h] = 1
		t = node(h)
		if (t == "")
			expand(n, h)
		else if (t != n && !((n, t) in edge)) {
			edge[n, t] = 1
			ne++
			nout[n]++
			out[n, nout[n]] = t
		}
	}
}
# depth-first walk: a node met again while on the path closes a cycle
function walk(u, depth,    i, v, k, s) {
	color[u] = 1
	path[depth] = u
	for (i = 1; i <= nout[u]; i++) {
		v = out[u, i]
		if (color[v] == 1) {
			s = ""
			for (k = depth; path[k] != v; k--)
				;
			for (; k <= depth; k++)
				s = s path[k] " -> "
			print s v
			ncyc++
		} else if (!color[v])
			walk(v, depth + 1)
	}
	color[u] = 2
}
END {
	for (i = 1; i <= nf; i++) {
		n = node(order[i])
		if (n == "")
			continue
		if (!(n in isnode)) {
			isnode[n] = 1
			nn++
			nodes[nn] = n
		}
		expand(n, order[i])
	}
	for (i = 1; i <= nn; i++)
		if (!color[nodes[i]])
			walk(nodes[i], 1)
	if (ncyc)
		exit 1
	printf "include-graph: %d nodes, %d edges, no cycle\n", nn, ne
}'
