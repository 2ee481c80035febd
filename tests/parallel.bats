#!/usr/bin/env bats
# Scale-out with GNU parallel (docs/scale-out.md): 200,000 rows split into
# chunks over four kanx processes give the same bytes as one process.
#
# Chunks: `parallel --pipe --header :` hands every chunk the input's header
# row, and every kanx would write the output header "y0"; so the chunks run
# with --no-output-header and the header is written once, by a kanx over no
# rows. The chunks' outputs are put back in input order (--keep-order).
#
# Bytes: a chunk's rows are scored in other batches than in one process
# (the chunks start anywhere, and a pipe hands kanx partial batches), so
# byte-identical output needs a forward pass whose result for a row does
# not depend on the batch it is in. The first test checks that premise.
load helpers

setup_file() {
	command -v parallel >/dev/null || return 0
	cd "$BATS_FILE_TMPDIR"
	awk 'BEGIN {
		srand(20261129)
		print "f0,f1"
		for (i = 0; i < 200000; i++)
			printf "%.6f,%.6f\n", 2.2 * rand() - 1.1, 2.2 * rand() - 1.1
	}' > big.csv
	"$KANX" predict -m "$KANX_SRCDIR/share/quickstart.keras" big.csv > one.csv 2>/dev/null
}

setup() {
	command -v parallel >/dev/null || skip "GNU parallel is not installed (Debian: parallel)"
	cd "$BATS_FILE_TMPDIR"
	MODEL="$KANX_SRCDIR/share/quickstart.keras"
	export PATH="$(dirname "$KANX"):$PATH"
}

@test "200,000 rows; parallel cuts them into several chunks; a row's prediction does not depend on its batch" {
	[ "$(wc -l < big.csv)" -eq 200001 ]
	[ "$(wc -l < one.csv)" -eq 200001 ]
	run parallel --pipe --header : -j4 'wc -l' < big.csv
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -ge 3 ]
	# the first 20,000 rows one at a time, and in batches of 7 from a pipe
	head -n 20001 big.csv > part.csv
	head -n 20001 one.csv > want.csv
	kanx predict -m "$MODEL" -b 1 part.csv 2>/dev/null | cmp - want.csv
	cat part.csv | kanx predict -m "$MODEL" -b 7 2>/dev/null | cmp - want.csv
}

@test "parallel --pipe --keep-order --header : -j4 kanx predict equals one kanx predict, byte for byte" {
	{
		kanx predict -m "$MODEL" < /dev/null
		parallel --pipe --keep-order --header : -j4 \
			kanx predict -m "$MODEL" -t 1 --no-output-header 2>/dev/null < big.csv
	} > par.csv
	cmp one.csv par.csv
}

@test "parallel --pipepart on the file, one chunk per job, gives the same bytes" {
	{
		kanx predict -m "$MODEL" < /dev/null
		parallel --pipepart -a big.csv --block -1 --keep-order --header : -j4 \
			kanx predict -m "$MODEL" -t 1 --no-output-header 2>/dev/null
	} > parpart.csv
	cmp one.csv parpart.csv
}

@test "headerless, one record per line (the Hadoop Streaming / Spark pipe mode), with an id column" {
	tail -n +2 big.csv | awk '{ print "r" NR "," $0 }' > keyed.csv
	parallel --pipe --keep-order -j4 \
		kanx predict -m "$MODEL" -t 1 --no-header --no-output-header --id 1 < keyed.csv > keyed-out.csv
	[ "$(wc -l < keyed-out.csv)" -eq 200000 ]
	# each output line: the record's id, then the prediction for that record
	cut -d, -f1 keyed-out.csv | cmp - <(cut -d, -f1 keyed.csv)
	cut -d, -f2 keyed-out.csv | cmp - <(tail -n +2 one.csv)
	# the Hadoop mapper: tab-separated key and value
	head -n 1000 keyed.csv | kanx predict -m "$MODEL" -t 1 -i csv --no-header --id 1 -f tsv --no-output-header > tsv.out
	awk -F'\t' 'NF != 2 { bad = 1 } END { exit bad }' tsv.out
	tr '\t' , < tsv.out | cmp - <(head -n 1000 keyed-out.csv)
}

@test "docs/scale-out.md's local recipes, --shard and --pipepart, run as written: one run's bytes" {
	. "$KANX_SRCDIR/tests/engines.bash"
	mkdir -p "$BATS_TEST_TMPDIR/r" && cd "$BATS_TEST_TMPDIR/r"
	ln -s "$BATS_FILE_TMPDIR/big.csv" big.csv
	ln -s "$MODEL" model.keras
	recipe parallel-local-shard > shard.sh
	recipe parallel-local-pipepart > pipepart.sh
	grep -q -- '--shard {}/4' shard.sh
	bash shard.sh 2>/dev/null
	cmp predictions.csv "$BATS_FILE_TMPDIR/one.csv"
	rm predictions.csv
	bash pipepart.sh 2>/dev/null
	cmp predictions.csv "$BATS_FILE_TMPDIR/one.csv"
}
