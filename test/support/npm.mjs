// Running npm as a user would, from tests: `npm pack` of this repo (once per test run) and
// installs into fresh folders outside the repo. Needs the npm registry or a warm ~/.npm cache.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
export const npm = process.platform === "win32" ? "npm.cmd" : "npm";
export const npx = process.platform === "win32" ? "npx.cmd" : "npx";

/** The environment for a nested npm: without what `npm test` exports about *this* package and run. */
export function cleanEnv(extra = {}) {
  const env = { ...process.env };
  for (const k of Object.keys(env)) {
    if (/^npm_(lifecycle_|package_|command$|config_call$|config_local_prefix$)/i.test(k)) delete env[k];
  }
  return { ...env, ...extra };
}

export function sh(cmd, args, cwd, { env = {}, timeout = 240_000 } = {}) {
  const r = spawnSync(cmd, args, { cwd, env: cleanEnv(env), encoding: "utf8", timeout, maxBuffer: 64 * 1024 * 1024 });
  if (r.error) throw r.error;
  return r;
}

export function ok(r, what) {
  if (r.status !== 0) throw new Error(`${what} failed (status ${r.status}, signal ${r.signal}):\n${r.stdout}\n${r.stderr}`);
  return r;
}

/** `npm pack` of `dir` into `dest`; returns the tarball's path. */
export function pack(dir, dest) {
  fs.mkdirSync(dest, { recursive: true });
  const before = new Set(fs.readdirSync(dest));
  ok(sh(npm, ["pack", "--pack-destination", dest, "--loglevel", "warn"], dir), `npm pack ${dir}`);
  const made = fs.readdirSync(dest).filter((f) => f.endsWith(".tgz") && !before.has(f));
  if (made.length !== 1) throw new Error(`npm pack ${dir} wrote ${made.length} tarballs`);
  return path.join(dest, made[0]);
}

let repoTarball;
/** This repository packed once per test run (npm pack runs `prepare`, which builds dist/). */
export function packRepo() {
  if (!repoTarball || !fs.existsSync(repoTarball)) {
    repoTarball = pack(repoRoot, fs.mkdtempSync(path.join(os.tmpdir(), "traced-alloc-tgz-")));
  }
  return repoTarball;
}

/** npm install of `specs` into `dir`, preferring the local cache. */
export function install(dir, specs) {
  return ok(sh(npm, ["install", "--no-audit", "--no-fund", "--prefer-offline", "--loglevel", "warn", ...specs], dir), `npm install in ${dir}`);
}

/** The toolchain a user of TypeScript 6 installs beside us. */
export const TOOLCHAIN = ["typescript@6.0.3", "ts-patch@4.0.1", "@types/node@20"];

/** The tsconfig.json of a user's project built with the plugin (src/ -> dist/); `extra` overrides compilerOptions. */
export function userTsconfig({ rootDir = "src", ...extra } = {}) {
  return JSON.stringify(
    {
      compilerOptions: {
        target: "ES2022",
        module: "commonjs",
        lib: ["ES2024"],
        types: ["node"],
        strict: true,
        sourceMap: true,
        declaration: true,
        rootDir,
        outDir: "dist",
        plugins: [{ transform: "traced-allocator/transformer" }],
        ...extra,
      },
      include: ["src"],
    },
    null,
    2,
  );
}
