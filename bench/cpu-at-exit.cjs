// Preloaded (`node --require bench/cpu-at-exit.cjs <compiler> ...`) into a compiler process by the
// build benchmark: at exit, writes the process's CPU time (user + system, all threads) and its
// peak RSS to the file named by BENCH_CPU_OUT. The compiler itself runs unchanged, as its own main.
"use strict";
const fs = require("node:fs");
const out = process.env.BENCH_CPU_OUT;
if (out) {
  process.on("exit", () => {
    const u = process.resourceUsage();
    fs.writeFileSync(out, JSON.stringify({ cpu_ms: (u.userCPUTime + u.systemCPUTime) / 1000, max_rss_kb: u.maxRSS }));
  });
}
