#!/usr/bin/env bats
# make install DESTDIR=...: the binary, the manuals, the three shell
# completions where the shells look for them, and the sample data; and the
# installed kanx runs the installed sample model.
load helpers

setup_file() {
	[ -f "$KANX_BUILDDIR/Makefile" ] || return 0
	export DEST="$BATS_FILE_TMPDIR/dest"
	# a make of our own, not a part of the make check that runs us
	env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL \
		make -s -C "$KANX_BUILDDIR" install DESTDIR="$DEST" > "$BATS_FILE_TMPDIR/install.log" 2>&1
	echo $? > "$BATS_FILE_TMPDIR/install.status"
	# the configured prefix, from where the binary went
	PREFIX_DIR=$(dirname "$(dirname "$(find "$DEST" -path '*/bin/kanx' -type f | head -n 1)")")
	export PREFIX_DIR
}

setup() {
	[ -f "$KANX_BUILDDIR/Makefile" ] || skip "no build directory (KANX_BUILDDIR) to run make install in"
	[ "$(cat "$BATS_FILE_TMPDIR/install.status")" = 0 ] || {
		cat "$BATS_FILE_TMPDIR/install.log"
		false
	}
}

@test "make install puts kanx in bindir, and it runs" {
	[ -x "$PREFIX_DIR/bin/kanx" ]
	run "$PREFIX_DIR/bin/kanx" --version
	[ "$status" -eq 0 ]
	[[ "$output" == "kanx "* ]]
}

@test "make install installs every manual page, six or more, in its section" {
	local page n=0
	for page in "$KANX_SRCDIR"/man/*.[1-8]; do
		local name=${page##*/}
		[ -f "$PREFIX_DIR/share/man/man${name##*.}/$name" ] || { echo "not installed: $name"; false; }
		n=$((n + 1))
	done
	[ $n -ge 6 ]
	[ "$(find "$PREFIX_DIR/share/man" -type f | wc -l)" -eq $n ]
	if command -v man >/dev/null; then
		run env MANPAGER=cat man -M "$PREFIX_DIR/share/man" kanx-predict
		[ "$status" -eq 0 ]
		[[ "$output" == *"KANX-PREDICT(1)"* ]]
	fi
}

@test "make install installs the bash, zsh and fish completions where the shells look" {
	[ -f "$PREFIX_DIR/share/bash-completion/completions/kanx.bash" ]
	[ -f "$PREFIX_DIR/share/zsh/site-functions/_kanx" ]
	[ -f "$PREFIX_DIR/share/fish/vendor_completions.d/kanx.fish" ]
	cmp "$PREFIX_DIR/share/bash-completion/completions/kanx.bash" "$KANX_SRCDIR/completions/kanx.bash"
	cmp "$PREFIX_DIR/share/zsh/site-functions/_kanx" "$KANX_SRCDIR/completions/_kanx"
	cmp "$PREFIX_DIR/share/fish/vendor_completions.d/kanx.fish" "$KANX_SRCDIR/completions/kanx.fish"
}

@test "bash-completion finds the installed completion on its own (XDG_DATA_DIRS)" {
	[ -f /usr/share/bash-completion/bash_completion ] || skip "bash-completion is not installed"
	run env XDG_DATA_DIRS="$PREFIX_DIR/share" HOME="$BATS_TEST_TMPDIR" bash --norc --noprofile -c '
		source /usr/share/bash-completion/bash_completion
		__load_completion kanx || exit 1
		COMP_WORDS=(kanx pre); COMP_CWORD=1; COMP_LINE="kanx pre"; COMP_POINT=8
		_kanx kanx pre kanx
		echo "${COMPREPLY[*]}"'
	[ "$status" -eq 0 ]
	[ "$output" = "predict" ]
}

@test "make install installs the sample model and data in share/kanx, and they work" {
	local f
	for f in "$KANX_SRCDIR"/share/*; do
		cmp "$f" "$PREFIX_DIR/share/kanx/${f##*/}"
	done
	[ -f "$PREFIX_DIR/share/kanx/quickstart.keras" ]
	[ -f "$PREFIX_DIR/share/kanx/quickstart_input.csv" ]
	run "$PREFIX_DIR/bin/kanx" inspect "$PREFIX_DIR/share/kanx/quickstart.keras"
	[ "$status" -eq 0 ]
	"$PREFIX_DIR/bin/kanx" predict -m "$PREFIX_DIR/share/kanx/quickstart.keras" \
		"$PREFIX_DIR/share/kanx/quickstart_input.csv" > "$BATS_TEST_TMPDIR/y.csv"
	[ "$(wc -l < "$BATS_TEST_TMPDIR/y.csv")" -eq "$(wc -l < "$PREFIX_DIR/share/kanx/quickstart_input.csv")" ]
}
