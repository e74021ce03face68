# Copyright (c) 2026 The mmproxyd authors
# SPDX-License-Identifier: ISC (see COPYING)
# bench/soak.gp -- RSS, fds, threads and connections of the soak's daemons
# over time, with the faults marked. gnuplot -e "datafile='x.dat';
# events='x.events'; outfile='x.svg'; title='...'"
if (!exists("title")) title = "mmproxyd soak"
set terminal svg size 900,720 dynamic font "sans,11"
set output outfile
set multiplot layout 3,1 title title
set grid
set key outside right top
set lmargin 10
set rmargin 22
set xlabel ""
# Faults as impulses at the top of the first panel.
set ylabel "RSS (MiB)"
set yrange [0:*]
plot datafile using ($1/60):($2/1024) with lines lw 2 lc rgb "#2a7ab0" \
	title "tcp daemon", \
     '' using ($1/60):($6/1024) with lines lw 2 lc rgb "#d07020" \
	title "udp daemon", \
     events using ($1/60):(0):(strcol(2)) with labels rotate by 90 \
	left offset 0,0.5 font ",8" tc rgb "#888888" notitle
set ylabel "count"
set yrange [0:*]
plot datafile using ($1/60):3 with lines lw 2 lc rgb "#2a7ab0" \
	title "tcp fds", \
     '' using ($1/60):4 with lines lw 2 lc rgb "#60a060" \
	title "tcp threads", \
     '' using ($1/60):7 with lines lc rgb "#d07020" title "udp fds"
set xlabel "minutes"
set ylabel "open"
plot datafile using ($1/60):5 with lines lw 2 lc rgb "#2a7ab0" \
	title "tcp active conns", \
     '' using ($1/60):9 with lines lc rgb "#d07020" title "udp flows", \
     '' using ($1/60):10 with lines lc rgb "#999999" title "client conns"
unset multiplot
