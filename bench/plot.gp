# Copyright (c) 2026 The mmproxyd authors
# SPDX-License-Identifier: ISC (see COPYING)
# bench/plot.gp -- throughput relative to no proxy, per workload and
# placement. gnuplot -e "datafile='x.dat'; outfile='x.svg'; title='...'"
if (!exists("title")) title = "mmproxyd benchmark"
set terminal svg size 900,480 dynamic font "sans,11"
set output outfile
set title title."\nthroughput relative to no proxy (higher is better)"
set style data histogram
set style histogram clustered gap 1
set style fill solid 0.8 border -1
set boxwidth 0.9
set yrange [0:1.2<*]
set ylabel "x no proxy"
set grid ytics
set xtics rotate by -30
set key top right
set arrow from graph 0, first 1 to graph 1, first 1 nohead dt 2 lc "black"
plot datafile using 2:xtic(1) title "go-mmproxy" lc rgb "#999999", \
     '' using 3 title "mmproxyd" lc rgb "#2a7ab0"
