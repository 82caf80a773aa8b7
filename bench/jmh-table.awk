#!/usr/bin/awk -f
# Turns JMH's CSV (ProjectionBenchmark + MemcpyBenchmark) into a Markdown table of GB/s and the
# kernel's share of memcpy bandwidth, per tensor, dtype, arithmetic and thread count.
BEGIN { FS = "," }
{ sub(/\r$/, "") }
NR == 1 {
  for (i = 1; i <= NF; i++) { h = $i; gsub(/"/, "", h); col[h] = i }
  next
}
{
  for (i = 1; i <= NF; i++) gsub(/"/, "", $i)
  bench = $col["Benchmark"]; ms = $col["Score"]
  t = $col["Param: tensor"]; d = $col["Param: dtype"]
  split(t, parts, "/"); split(parts[1], dims, "x")
  size = (d == "F32") ? 4 : 2
  gb = dims[1] * dims[2] * size / (ms / 1000) / 1e9
  if (bench ~ /memcpy/) { mem[t "|" d] = gb; next }
  key = t "|" d "|" $col["Param: arithmetic"] "|" $col["Param: threads"]
  kern[key] = gb; keys[++n] = key
}
END {
  print "| tensor | dtype | arithmetic | threads | kernel GB/s | memcpy GB/s | share |"
  print "|---|---|---|---|---|---|---|"
  for (i = 1; i <= n; i++) {
    split(keys[i], k, "|"); m = mem[k[1] "|" k[2]]
    printf "| %s | %s | %s | %s | %.2f | %.2f | %.0f %% |\n", k[1], k[2], k[3], k[4], kern[keys[i]], m, (m > 0 ? 100 * kern[keys[i]] / m : 0)
  }
}
