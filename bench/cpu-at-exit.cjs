// Preloaded (`node --require bench/cpu-at-exit.cjs <script> ...`) into a measured process by the build
// and the allocation benchmarks: at exit, writes the process's CPU time (user + system, all threads)
// and its peak RSS to the file named by BENCH_CPU_OUT. The script itself runs unchanged, as its own main.
//
// The figure is taken by the last `exit` listener, so that what other listeners do at exit (the
// traced-allocator runtime writes its summary and flushes its trace there) is counted too: whenever
// someone adds an `exit` listener, ours moves behind it once the current synchronous code is done.
"use strict";
const fs = require("node:fs");
const out = process.env.BENCH_CPU_OUT;
if (out) {
  const atExit = () => {
    const u = process.resourceUsage();
    fs.writeFileSync(out, JSON.stringify({ cpu_ms: (u.userCPUTime + u.systemCPUTime) / 1000, max_rss_kb: u.maxRSS }));
  };
  let moving = false;
  let queued = false;
  const moveLast = () => {
    queued = false;
    moving = true;
    process.removeListener("exit", atExit);
    process.on("exit", atExit);
    moving = false;
  };
  process.on("newListener", (event) => {
    if (event === "exit" && !moving && !queued) {
      queued = true;
      queueMicrotask(moveLast);
    }
  });
  process.on("exit", atExit);
}
