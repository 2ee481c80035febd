#!/usr/bin/env bats
# The command line itself: help, version, unknown commands and options.
load helpers

@test "kanx --help lists every command and exits 0" {
	run kanx --help
	[ "$status" -eq 0 ]
	for c in inspect predict validate serve-stdin; do
		[[ "$output" == *"$c"* ]]
	done
}

@test "kanx with no arguments is a usage error on stderr" {
	run kanx
	[ "$status" -eq 2 ]
	[[ "$output" == *"usage: kanx"* ]]
}

@test "kanx --version prints the version; -v adds the libraries" {
	run kanx --version
	[ "$status" -eq 0 ]
	[[ "$output" =~ ^kanx\ [0-9]+\.[0-9]+\.[0-9]+$ ]]
	run kanx --version -v
	[ "$status" -eq 0 ]
	for lib in libarchive hdf5 blis cjson libyaml libcsv; do
		[[ "$output" == *"$lib "* ]]
	done
}

@test "an unknown command suggests the nearest one" {
	run kanx predcit
	[ "$status" -eq 2 ]
	[[ "$output" == *"unknown command 'predcit'; did you mean 'predict'?"* ]]
}

@test "kanx CMD --help prints the command's usage to stdout" {
	for c in inspect predict validate serve-stdin; do
		run kanx "$c" --help
		[ "$status" -eq 0 ]
		[[ "${lines[0]}" == "usage: kanx $c "* ]]
	done
}
