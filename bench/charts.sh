#!/usr/bin/env bash
# The charts of the main figures: PNGs drawn by gnuplot (gnuplot-nox, from
# Debian) from the data files the figure scripts leave in $BENCH_DATA
# (bench/run.sh sets it): wall.dat, icount.dat, syscall.dat, http.dat,
# redis.dat, memory.dat, size.dat.  Bars are medians, error bars min to max where the
# figure has repeats; start-up, instructions and sizes span orders of
# magnitude, so their axes are logarithmic.
#
# Usage: bench/charts.sh DATA_DIR OUT_DIR   (writes OUT_DIR/bench-*.png)
set -eu
data=$1
out=$2
command -v gnuplot >/dev/null || {
	echo "bench: gnuplot is missing (scripts/deps.sh bench)" >&2
	exit 1
}
mkdir -p "$out"

# Common settings: a small PNG, one colour per series, the labels of column 1.
common()
{
	cat <<'EOF'
set terminal pngcairo size 720,420 font ",10" noenhanced
set style fill solid 0.8 border -1
set grid ytics
set key top left
set boxwidth 0.6
set xtics font ",9"
EOF
}

# A chart of "label median min max" rows: $1 file, $2 title, $3 y label,
# $4 "log" for a logarithmic axis.
bars()
{
	{
		common
		echo "set output '$out/bench-$(basename "$1" .dat).png'"
		echo "set title '$2'"
		echo "set ylabel '$3'"
		[[ ${4:-} == log ]] && echo "set logscale y"
		echo "set yrange [${5:-*}:*]"
		echo "set xrange [-0.6:*]"
		echo "plot '$1' using (\$0):2:xtic(1) with boxes lc rgb '#4477aa' notitle, \\"
		echo "     '' using (\$0):2:3:4 with yerrorbars lc rgb 'black' pt 0 notitle, \\"
		echo "     '' using (\$0):2:2 with labels offset 2.5,0.6 notitle"
	} | gnuplot
}

# Grouped bars of "label a b [c]" rows: $1 file, $2 title, $3 y label,
# $4 "log" or "", then the series' names.
groups()
{
	local file=$1 title=$2 ylabel=$3 scale=$4 i plot=""

	shift 4
	for ((i = 1; i <= $#; i++)); do
		plot+="${plot:+, }'$file' using $((i + 1)):xtic(1) title '${!i}'"
	done
	{
		common
		echo "set output '$out/bench-$(basename "$file" .dat).png'"
		echo "set title '$title'"
		echo "set ylabel '$ylabel'"
		[[ $scale == log ]] && echo "set logscale y"
		echo "set style data histogram"
		echo "set style histogram clustered gap 1"
		echo "set boxwidth 0.9"
		echo "plot $plot"
	} | gnuplot
}

bars "$data/wall.dat" "hello, command to exit (median, min-max)" "ms (log)" log
bars "$data/icount.dat" "guest instructions, reset to main (sleep=off)" "instructions (log)" log
groups "$data/syscall.dat" "guest instructions per call (median)" "instructions (log)" log \
	monos "Linux guest" "Linux guest, mitigations=off"
bars "$data/http.dat" "HTTP requests/s, wrk -t1 -c64 (httpd, and nginx)" "requests/s" "" 0
bars "$data/redis.dat" "Redis GET requests/s, no pipelining, 50 connections" "requests/s" "" 0
groups "$data/memory.dat" "smallest guest memory that runs the program" "MiB (log)" log \
	monos "Linux guest"
{
	common
	echo "set output '$out/bench-size.png'"
	echo "set title 'kernel + image for hello'"
	echo "set ylabel 'KiB (log)'"
	echo "set logscale y"
	echo "set xrange [-0.6:1.6]"
	echo "plot '$data/size.dat' using (\$0):2:xtic(1) with boxes lc rgb '#4477aa' notitle, \\"
	echo "     '' using (\$0):2:2 with labels offset 0,0.8 notitle"
} | gnuplot
