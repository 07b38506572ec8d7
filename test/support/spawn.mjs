// A child process run to its end without blocking, its output collected: what several suites
// need to run builds side by side (one per core).
import { spawn } from "node:child_process";

/**
 * Runs `command args` without blocking (builds side by side, one per core); resolves to
 * {status, signal, stdout, stderr}. `env` is added to this process's, with TRACED_ALLOC unset.
 */
export function spawnAsync(command, args, { cwd, env = {} } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, env: { ...process.env, TRACED_ALLOC: "", ...env }, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (d) => (stdout += d));
    child.stderr.setEncoding("utf8").on("data", (d) => (stderr += d));
    child.on("error", reject);
    child.on("close", (status, signal) => resolve({ status, signal, stdout, stderr }));
  });
}
