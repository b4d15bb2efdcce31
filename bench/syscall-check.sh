#! /bin/sh
# syscall-check.sh -- the system calls of a durable commit, counted with
# strace: a commit should be one pwrite of its record and one flush.
#
# Usage: syscall-check.sh [BENCH-PROGRAM [COMMITS]]
# BENCH-PROGRAM defaults to bench/lrvm-bench of the current directory,
# COMMITS to 4000 (enough to cross one 1 MiB growth step of the log).  Exits 77 if strace is missing.

prog=${1-./bench/lrvm-bench}
n=${2-4000}
tmp=${TMPDIR-/tmp}/lrvm-syscalls.$$

if ! command -v strace >/dev/null 2>&1; then
  echo "syscall-check: strace not found; skipped" >&2
  exit 77
fi
trap 'rm -f "$tmp".*' 0 1 2 15

# The record size, as the benchmark computes it from lib/format.h.
rec=`"$prog" -r 1 -n 1 raw |
     sed -n 's/^  log record *\([0-9][0-9]*\) bytes.*/\1/p'`
test -n "$rec" || { echo "syscall-check: cannot run $prog" >&2; exit 1; }

echo "1. strace -f -c: system calls per durable commit, 1 thread"
echo "   (counts of a run of $((2 * n)) commits minus a run of $n)"
strace -f -c -o "$tmp".c1 "$prog" -r 1 -n "$n" lib >/dev/null || exit 1
strace -f -c -o "$tmp".c2 "$prog" -r 1 -n $((2 * n)) lib >/dev/null || exit 1
awk -v n="$n" '
  # strace -c rows: % time, seconds, usecs/call, calls, [errors], name.
  $NF ~ /^[a-z_0-9]+$/ && $4 ~ /^[0-9]+$/ && $NF != "total" {
    calls[FILENAME, $NF] = $4; names[$NF] = 1
  }
  END {
    for (s in names) {
      d = calls[ARGV[2], s] - calls[ARGV[1], s]
      if (d != 0)
        printf "   %-16s %8d more calls = %.4f per commit\n", s, d, d / n \
          | "sort -k2 -rn"
    }
  }' "$tmp".c1 "$tmp".c2
echo

echo "2. strace -f: the calls between one log record pwrite ($rec bytes) and"
echo "   the next, over $n commits and the warm-up (pwrite64(SIZE): other"
echo "   writes)"
strace -f -o "$tmp".t "$prog" -r 1 -n "$n" lib >/dev/null || exit 1
awk -v rec="$rec" '
  {
    line = $0
    sub (/^[0-9]+ +/, "", line)
    name = line
    sub (/\(.*/, "", name)
    if (name !~ /^[a-z_0-9]+$/)
      next
    ret = line
    sub (/.*= /, "", ret)
    if (name == "pwrite64" && ret == rec && line ~ /^pwrite64\([0-9]+, "LRVR/) {
      if (started)
        seen[pattern == "" ? "(nothing)" : pattern]++
      started = 1; pattern = ""; last = ""; reps = 0; writes++
      next
    }
    if (!started)
      next
    if (name == "pwrite64")
      name = "pwrite64(" ret ")"
    if (name == last) {
      reps++
      sub (/ x[0-9]+$/, "", pattern)
      pattern = pattern " x" (reps + 1)
    } else {
      pattern = pattern (pattern == "" ? "" : ", ") name
      last = name; reps = 0
    }
  }
  END {
    printf "   %d record pwrites\n", writes
    for (p in seen)
      printf "   %8d  %s\n", seen[p], p | "sort -rn"
  }' "$tmp".t
echo

g=$((n / 4))
echo "3. strace -f: records per pwrite and flushes of the log, durable"
echo "   commits from 4 threads ($g commits each; the 1-thread run of the"
echo "   same round, in the main thread, is left out)"
strace -f -e trace=pwrite64,fdatasync,fsync -o "$tmp".g \
  "$prog" -r 1 -n "$g" group >/dev/null || exit 1
awk -v rec="$rec" '
  NR == 1 { main = $1 }
  $1 == main { next }
  # A call interrupted by another thread ends on a "resumed" line.
  / = [0-9-]+$/ && /pwrite64(\(| resumed)/ {
    ret = $0; sub (/.*= /, "", ret); ret += 0
    if (ret % rec == 0 && ret > 0 && ret < 65536) {
      batches[ret / rec]++; records += ret / rec; writes++
    }
  }
  / = [0-9-]+$/ && /(fdatasync|fsync)(\(| resumed)/ { flushes++ }
  END {
    printf "   %d records in %d pwrites, %d flushes\n", records,
      writes, flushes
    for (k in batches)
      printf "   %8d pwrites of %d record(s)\n", batches[k], k | "sort -k4 -n"
  }' "$tmp".g
