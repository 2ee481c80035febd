#!/usr/bin/env bats
# Scale-out with GNU parallel (docs/scale-out.md): 200,000 rows split into
# chunks over four kanx processes give the same output as one process.
#
# Chunks: `parallel --pipe --header :` hands every chunk the input's header
# row, and every kanx would write the output header "y0"; so the chunks run
# with --no-output-header and the header is written once, by a kanx over no
# rows. The chunks' outputs are put back in input order (--keep-order).
#
# Bytes: the forward pass's float32 results can differ in the last bits
# with the size of the batch a row is scored in (BLIS picks another kernel
# for small batches), and a chunk's rows fall into other batches than in a
# single process. With --batch-size 1 every row is scored alone, whoever
# reads it, so the outputs must match byte for byte; at the default batch
# size they must match within float32 noise, and byte for byte too when
# this build's forward pass does not depend on the batch size.
load helpers

setup_file() {
	command -v parallel >/dev/null || return 0
	"$KANX" predict --help | grep -q 'not implemented yet' && return 0
	cd "$BATS_FILE_TMPDIR"
	awk 'BEGIN {
		srand(20261129)
		print "f0,f1"
		for (i = 0; i < 200000; i++)
			printf "%.6f,%.6f\n", 2.2 * rand() - 1.1, 2.2 * rand() - 1.1
	}' > big.csv
	"$KANX" predict -m "$KANX_SRCDIR/share/quickstart.keras" -b 1 big.csv > one-b1.csv 2>/dev/null
	"$KANX" predict -m "$KANX_SRCDIR/share/quickstart.keras" big.csv > one.csv 2>/dev/null
}

setup() {
	command -v parallel >/dev/null || skip "GNU parallel is not installed (Debian: parallel)"
	"$KANX" predict --help | grep -q 'not implemented yet' && skip "predict is not implemented in this build"
	cd "$BATS_FILE_TMPDIR"
	MODEL="$KANX_SRCDIR/share/quickstart.keras"
	export PATH="$(dirname "$KANX"):$PATH"
}

@test "the input is 200,000 rows and parallel cuts it into several chunks" {
	[ "$(wc -l < big.csv)" -eq 200001 ]
	[ "$(wc -l < one.csv)" -eq 200001 ]
	cmp one.csv one-b1.csv >/dev/null || csv_close one.csv one-b1.csv
	run parallel --pipe --header : -j4 'wc -l' < big.csv
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -ge 3 ]
}

@test "parallel --pipe --keep-order --header : -j4 kanx predict equals one kanx predict, byte for byte (--batch-size 1)" {
	{
		kanx predict -m "$MODEL" < /dev/null
		parallel --pipe --keep-order --header : -j4 \
			kanx predict -m "$MODEL" -t 1 -b 1 --no-output-header 2>/dev/null < big.csv
	} > par-b1.csv
	cmp one-b1.csv par-b1.csv
}

@test "at the default batch size the outputs agree within float32 noise (and byte for byte when batching does not change the results)" {
	{
		kanx predict -m "$MODEL" < /dev/null
		parallel --pipe --keep-order --header : -j4 \
			kanx predict -m "$MODEL" -t 1 --no-output-header 2>/dev/null < big.csv
	} > par.csv
	[ "$(wc -l < par.csv)" -eq 200001 ]
	if cmp -s one.csv one-b1.csv; then
		cmp one.csv par.csv
	else
		csv_close par.csv one.csv 1e-5
	fi
}

@test "headerless, one record per line (the Hadoop Streaming / Spark pipe mode), with an id column" {
	tail -n +2 big.csv | awk '{ print "r" NR "," $0 }' > keyed.csv
	parallel --pipe --keep-order -j4 \
		kanx predict -m "$MODEL" -t 1 -b 1 --no-header --no-output-header --id 1 < keyed.csv > keyed-out.csv
	[ "$(wc -l < keyed-out.csv)" -eq 200000 ]
	# each output line: the record's id, then the prediction for that record
	cut -d, -f1 keyed-out.csv | cmp - <(cut -d, -f1 keyed.csv)
	cut -d, -f2 keyed-out.csv | cmp - <(tail -n +2 one-b1.csv)
}
