#!/bin/sh
# tests/shard-inputs.sh DIR: write the inputs tests/shard.bats splits into
# shards, for a model of 2 features (share/quickstart.keras). Each one is a
# kind of file a shard boundary could break: CRLF line ends, a UTF-8 BOM,
# quoted fields holding newlines (some followed by text that looks like a
# record of its own), doubled quotes, JSON lines with blank lines and
# escaped newlines in ids, a headerless file, files with fewer rows than
# shards, no final newline, an empty file. The numbers are random, from a
# fixed seed, so every run writes the same bytes.
set -eu
d=${1:?usage: shard-inputs.sh DIR}
mkdir -p "$d"

# plain.csv: a header and 3000 rows
awk 'BEGIN { srand(1401); print "f0,f1"
	for (i = 0; i < 3000; i++) printf "%.6f,%.6f\n", 2 * rand() - 1, 2 * rand() - 1 }' > "$d/plain.csv"

# bom-crlf.csv: a BOM, CRLF line ends, blank lines here and there
awk 'BEGIN { srand(1402); printf "\357\273\277f0,f1\r\n"
	for (i = 0; i < 2000; i++) {
		if (i % 97 == 5) printf "\r\n"
		printf "%.5f,%.5f\r\n", 2 * rand() - 1, 2 * rand() - 1
	} }' > "$d/bom-crlf.csv"

# quoted.csv: an id column (--id id) whose quoted values hold LF and CRLF
# newlines, doubled quotes, commas, and lines that are valid records by
# themselves; some numbers are quoted too
awk 'BEGIN { srand(1403); print "id,f0,f1"
	for (i = 0; i < 1500; i++) {
		r = int(rand() * 6)
		if (r == 0) id = "\"row " i "\nsecond line\""
		else if (r == 1) id = "\"r" i "\n0.25,0.5\n-0.5,0.125\""
		else if (r == 2) id = "\"say \"\"hi\"\",\r\nthen " i "\""
		else if (r == 3) id = "\"\n\n" i "\n\""
		else id = "r" i
		a = sprintf("%.6f", 2 * rand() - 1); b = sprintf("%.6f", 2 * rand() - 1)
		if (rand() < 0.2) a = "\"" a "\""
		printf "%s,%s,%s\n", id, a, b
	} }' > "$d/quoted.csv"

# keyed.tsv: TSV with an id column first (--id 1); quoted ids with tabs
# and newlines
awk 'BEGIN { srand(1404); print "key\tf0\tf1"
	for (i = 0; i < 1200; i++) {
		id = (i % 2 == 0) ? "\"k" i "\tx\ny\"" : "k" i
		printf "%s\t%.6f\t%.6f\n", id, 2 * rand() - 1, 2 * rand() - 1
	} }' > "$d/keyed.tsv"

# noheader.csv: the first line is data (the header is detected as absent)
awk 'BEGIN { srand(1405)
	for (i = 0; i < 1000; i++) printf "%.6f,%.6f\n", 2 * rand() - 1, 2 * rand() - 1 }' > "$d/noheader.csv"

# rows.jsonl: bare arrays, 2-D arrays, objects with string and number ids
# (escaped newlines and quotes), blank lines, CRLF lines
awk 'BEGIN { srand(1406)
	for (i = 0; i < 2000; i++) {
		a = sprintf("%.6f", 2 * rand() - 1); b = sprintf("%.6f", 2 * rand() - 1)
		r = int(rand() * 6)
		if (r == 0) printf "[%s,%s]\n", a, b
		else if (r == 1) printf "[[%s,%s],[%s,%s]]\n", a, b, b, a
		else if (r == 2) printf "{\"id\":\"r%d\\nx \\\"q\\\"\",\"x\":[%s,%s]}\n", i, a, b
		else if (r == 3) printf "{\"x\": [%s, %s], \"id\": %d}\r\n", a, b, i
		else if (r == 4) printf "\n  \t\n[%s,%s]\n", a, b
		else printf "[%s, %s]\n", a, b
	} }' > "$d/rows.jsonl"

# tiny.csv: 3 rows, fewer than most shard counts
printf 'f0,f1\n0.5,0.25\n-1,1\n0,0\n' > "$d/tiny.csv"
# tiny.jsonl: 2 records
printf '[0.5,0.25]\n{"id":1,"x":[-1,1]}\n' > "$d/tiny.jsonl"
# nofinal.csv: no newline after the last row
printf 'f0,f1\n0.5,0.25\n-1,1\n0.75,-0.5' > "$d/nofinal.csv"
# header-only.csv, empty.csv
printf 'f0,f1\n' > "$d/header-only.csv"
: > "$d/empty.csv"
