#!/usr/bin/env bats
# The shape of the source tree (issue 12): no #include cycle among the
# files of src/, the kernels (bspline.c, kernel*.c) in no cycle of modules
# and knowing no layer or model, and no source file over 1,200 lines. The
# graph is derived by tests/include-graph.sh, itself tested here on trees
# made with a cycle.

load helpers

GRAPH="$KANX_SRCDIR/tests/include-graph.sh"

@test "include-graph finds a cycle of files, and of modules through a header of none" {
	d="$BATS_TEST_TMPDIR/t"
	mkdir -p "$d"
	printf '#include "b.h"\n' >"$d/a.h"
	printf '#include <stdio.h>\n#include "a.h"\n' >"$d/b.h"
	printf '#include "a.h"\n#include "missing.h"\n' >"$d/c.c"
	run "$GRAPH" "$d"
	[ "$status" -eq 1 ]
	[ "$output" = "a.h -> b.h -> a.h" ]
	# modules: p.c -> impl.h (no impl.c) -> q.h, and q.c -> p.h
	m="$BATS_TEST_TMPDIR/m"
	mkdir -p "$m"
	printf '#include "impl.h"\n' >"$m/p.c"
	: >"$m/p.h"
	printf '#include "q.h"\n' >"$m/impl.h"
	: >"$m/q.h"
	printf '#include "p.h"\n' >"$m/q.c"
	run "$GRAPH" "$m"
	[ "$status" -eq 0 ]
	[ "$output" = "include-graph: 5 nodes, 3 edges, no cycle" ]
	run "$GRAPH" -m "$m"
	[ "$status" -eq 1 ]
	[ "$output" = "p -> q -> p" ]
	# without q.c's include there is none
	: >"$m/q.c"
	run "$GRAPH" -m "$m"
	[ "$status" -eq 0 ]
	[ "$output" = "include-graph: 2 nodes, 1 edges, no cycle" ]
	run "$GRAPH" "$BATS_TEST_TMPDIR/none"
	[ "$status" -eq 2 ]
}

@test "no #include cycle among the files of src/" {
	run "$GRAPH" "$KANX_SRCDIR/src"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == "include-graph: "*" no cycle" ]]
}

@test "the kernels are in no cycle of modules, and include no layer or model" {
	run "$GRAPH" -m "$KANX_SRCDIR/src"
	echo "$output"
	# each line is a cycle; none goes through the B-spline math or a kernel
	run grep -E '(^| )(bspline|kernel[a-z_]*)( |$)' <<<"$output"
	[ "$status" -eq 1 ]
	cd "$KANX_SRCDIR/src"
	run grep -nE '#[[:space:]]*include[[:space:]]*"(model|layer|spec|weights)\.h"' bspline.[ch] kernel*.[ch]
	echo "$output"
	[ "$status" -eq 1 ]
}

@test "no source file over 1,200 lines" {
	cd "$KANX_SRCDIR"
	run awk 'FNR == 1201 { print FILENAME ": over 1,200 lines"; bad = 1 } END { exit bad }' \
		src/*.c src/*.h tests/*.c tests/*.h
	echo "$output"
	[ "$status" -eq 0 ]
	[ -z "$output" ]
}
