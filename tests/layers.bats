#!/usr/bin/env bats
# The layer table (src/layer.h): every kind is one row, nothing outside
# the layer files tests a layer's kind, and a kind added by the recipe of
# docs/hacking.md (Rescaling) runs the models real Keras wrote, on every
# kernel, and is described by validate and inspect.

load helpers

LAY="$FIX/layers"

setup() {
	T="$BATS_TEST_TMPDIR"
}

@test "no code outside the layer files and the table tests a layer's kind" {
	cd "$KANX_SRCDIR/src"
	# a kind is tested by comparing ops pointers or naming a row outside its file
	run grep -nE '(->|\.)ops *[!=]=|[!=]= *&kx_layer_' $(ls *.c *.h | grep -v '^layer')
	[ "$status" -eq 1 ]
	[ -z "$output" ]
	# the enum the kinds used to be is gone
	run grep -rn 'KX_LAYER_KAN\|KX_LAYER_DENSE\|enum kx_layer_kind' .
	[ "$status" -eq 1 ]
	# every layer file has a row in the table (a file may define several,
	# directly or through a macro: at least one of its names is a row),
	# but the placeholder for classes kanx does not know, which must not
	# have one (nothing may run it)
	for f in layer_*.c; do
		rows=$(grep -o 'kx_layer_[a-z_0-9]*' "$f" | sort -u)
		found=0
		for row in $rows; do
			grep -q "&$row,$" layers.c && found=1
		done
		if grep -q '\.placeholder = 1' "$f"; then
			[ "$found" = 0 ] || { echo "$f: a placeholder row in kx_layer_table"; false; }
			continue
		fi
		[ "$found" = 1 ] || { echo "$f: no row in kx_layer_table"; false; }
	done
	[ "$(grep -l '\.placeholder = 1' layer_*.c)" = layer_unsupported.c ]
}

@test "Rescaling: scalar and per-feature scale and offset, every Keras version, every kernel" {
	n=0
	for v in 3.3 3.8 3.16; do
		for f in rescale_scalar rescale_perfeature; do
			m="$LAY/keras-$v/$f.keras"
			[ -f "$m" ] || continue
			for kern in $(kernels); do
				KANX_KERNEL=$kern kanx predict -m "$m" "$LAY/keras-$v/${f}_input.csv" >"$T/out.csv"
				csv_close "$T/out.csv" "$LAY/keras-$v/${f}_expected.csv" || { echo "  $v $f ($kern)"; false; }
				n=$((n + 1))
			done
		done
	done
	# 3 versions x 2 fixtures x 2 or 3 kernels
	[ "$n" -ge 12 ]
}

@test "Rescaling: the layer is not skipped (predictions without it differ from Keras's)" {
	m="$LAY/keras-3.16/rescale_perfeature.keras"
	# the same KAN fed the raw input: far from Keras's numbers
	python3 - "$m" "$T/norescale.keras" <<'PY'
import json, sys, zipfile
src, dst = sys.argv[1], sys.argv[2]
with zipfile.ZipFile(src) as z, zipfile.ZipFile(dst, "w") as o:
    for i in z.infolist():
        d = z.read(i.filename)
        if i.filename == "config.json":
            c = json.loads(d)
            for l in c["config"]["layers"]:
                if l["class_name"] == "Rescaling":
                    l["config"]["scale"], l["config"]["offset"] = 1.0, 0.0
            d = json.dumps(c).encode()
        o.writestr(i, d)
PY
	kanx predict -m "$T/norescale.keras" "$LAY/keras-3.16/rescale_perfeature_input.csv" >"$T/out.csv"
	run csv_close "$T/out.csv" "$LAY/keras-3.16/rescale_perfeature_expected.csv"
	[ "$status" -ne 0 ]
}

@test "Rescaling: validate passes it, inspect shows its scale and offset" {
	m="$LAY/keras-3.16/rescale_perfeature.keras"
	run kanx validate -m "$m"
	[ "$status" -eq 0 ]
	[[ "$output" == *"sound: 0 errors, 0 warnings"* ]]
	run kanx inspect "$m"
	[ "$status" -eq 0 ]
	[[ "$output" == *"rescaling        Rescaling       3      3    -   - -            -                    -                0"* ]]
	[[ "$output" == *"y = x * [0.007843138, 0.02, -0.5] + [-1, -1, 0.25]"* ]]
	run kanx inspect --json "$m"
	[ "$status" -eq 0 ]
	[[ "$output" == *'"class":"Rescaling","in":3,"out":3,'* ]]
	[[ "$output" == *'"scale":[0.007843138,0.02,-0.5],"offset":[-1,-1,0.25]'* ]]
	run kanx inspect --json "$LAY/keras-3.16/rescale_scalar.keras"
	[[ "$output" == *'"scale":0.007843138,"offset":-1'* ]]
}

# A copy of rescale_perfeature whose Rescaling config has KEY set to the
# JSON value VALUE ("delete" removes it).
bad_rescaling() {
	python3 - "$LAY/keras-3.16/rescale_perfeature.keras" "$T/bad.keras" "$1" "$2" <<'PY'
import json, sys, zipfile
src, dst, key, value = sys.argv[1:5]
with zipfile.ZipFile(src) as z, zipfile.ZipFile(dst, "w") as o:
    for i in z.infolist():
        d = z.read(i.filename)
        if i.filename == "config.json":
            c = json.loads(d)
            for l in c["config"]["layers"]:
                if l["class_name"] == "Rescaling":
                    if value == "delete":
                        del l["config"][key]
                    else:
                        l["config"][key] = json.loads(value)
            d = json.dumps(c).encode()
        o.writestr(i, d)
PY
}

@test "Rescaling: a scale or offset that does not fit the input is refused, by validate and predict alike" {
	for case in 'scale|[1, 2]|scale has 2 values and offset 3, but the input has 3 features' \
	            'offset|[1, 2, 3, 4]|scale has 3 values and offset 4, but the input has 3 features' \
	            'scale|"big"|scale must be a number or a list of numbers' \
	            'scale|[[1, 2, 3], [4, 5, 6]]|scale must be a number or a list of numbers' \
	            'scale|[[[1, 2, 3]]]|scale must be a number or a list of numbers' \
	            'offset|{"class_name": "__tensor__", "config": {"value": [[1], [2], [3]]}}|offset must be a number or a list of numbers' \
	            'scale|[]|scale must be a number or a list of numbers' \
	            'offset|{"a": 1}|offset must be a number or a list of numbers' \
	            'scale|delete|scale must be a number or a list of numbers'; do
		IFS='|' read -r key value msg <<<"$case"
		bad_rescaling "$key" "$value"
		run kanx validate -m "$T/bad.keras"
		[ "$status" -eq 1 ] || { echo "validate $key=$value: status $status"; false; }
		[[ "$output" == *"bad.keras:config.json: layer 'rescaling': $msg"* ]] || { echo "validate $key=$value: $output"; false; }
		run kanx predict -m "$T/bad.keras" "$LAY/keras-3.16/rescale_perfeature_input.csv"
		[ "$status" -eq 4 ] || { echo "predict $key=$value: status $status"; false; }
		[[ "$output" == *"layer 'rescaling': $msg"* ]]
	done
	# offset absent or null: 0, as Keras's default
	bad_rescaling offset null
	kanx predict -m "$T/bad.keras" "$LAY/keras-3.16/rescale_perfeature_input.csv" >"$T/null.csv"
	bad_rescaling offset 0
	kanx predict -m "$T/bad.keras" "$LAY/keras-3.16/rescale_perfeature_input.csv" >"$T/zero.csv"
	cmp "$T/null.csv" "$T/zero.csv"
	# the NumPy form Keras writes for an array
	bad_rescaling scale '{"class_name": "__numpy__", "config": {"value": [0.00784313725490196, 0.02, -0.5], "dtype": "float64"}}'
	kanx predict -m "$T/bad.keras" "$LAY/keras-3.16/rescale_perfeature_input.csv" >"$T/out.csv"
	csv_close "$T/out.csv" "$LAY/keras-3.16/rescale_perfeature_expected.csv"
}

@test "kanx(1) names every class of the layer table, and the models that nest" {
	cd "$KANX_SRCDIR/src"
	classes=$( (grep -ho 'classes\[\] = { "[^"]*"' layer_*.c | sed 's/.*"\(.*\)"/\1/'
		grep -ho '^[A-Z_]*(kx_layer_[a-z0-9_]*, "[^"]*"' layer_*.c | sed 's/.*"\(.*\)"$/\1/') | sort -u)
	[ "$(wc -l <<<"$classes")" -ge 30 ]
	for c in $classes Sequential Functional 'kanx>KAN'; do
		[ "$c" = "kanx>KANLinear" ] && c=KANLinear
		grep -qE "^\.Ql $c( |$)|kanx>$c|^\.Ql kanx>$c" "$KANX_SRCDIR/man/kanx.1" || { echo "kanx(1) lacks $c"; false; }
	done
}
