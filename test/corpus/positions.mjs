// Holds a traced build's events against what V8 reported for the plain build's calls
// (test/support/v8-probe-all.cjs): every alloc/realloc event must name a file:line:col where V8
// saw a call of the same built-in, no more often than V8 saw it.
import * as fs from "node:fs";
import * as path from "node:path";

const TYPED = new Set(["Int8Array", "Uint8Array", "Uint8ClampedArray", "Int16Array", "Uint16Array", "Int32Array", "Uint32Array",
  "Float16Array", "Float32Array", "Float64Array", "BigInt64Array", "BigUint64Array", "TypedArray", "%TypedArray%", "Buffer"]);
const ZLIB = /^(?:zlib\.)?((?:deflate|inflate|gzip|gunzip|unzip|brotliCompress|brotliDecompress|deflateRaw|inflateRaw|zstdCompress|zstdDecompress)Sync)$/;

/**
 * The probe's name for the built-in an event's `kind` names. Prototype methods shared by every
 * typed array (and inherited by Buffer) are one built-in, `TypedArray.prototype.<m>`, whatever the
 * receiver; a Node.js module's functions are `<module>.<name>`; a `node:` prefix, a `crypto.`
 * before a class (Hash, Hmac, Cipher, Decipher, Sign) and the `iv` of Cipheriv/Decipheriv are
 * dropped. Everything else is the kind itself.
 */
export function canonicalKind(kind) {
  let k = String(kind).trim().replace(/^node:/, "").replace(/^globalThis\./, "");
  const isNew = k.startsWith("new ");
  if (isNew) k = k.slice(4).replace(/^globalThis\./, "");
  let m;
  if ((m = /^([\w%]+)\.prototype\.(\w+)$/.exec(k)) && TYPED.has(m[1])) k = `TypedArray.prototype.${m[2]}`;
  else if ((m = /^(?:crypto\.)?(Hash|Hmac|Cipher|Decipher|Sign)(?:iv)?\.prototype\.(\w+)$/.exec(k))) k = `${m[1]}.prototype.${m[2]}`;
  else if ((m = ZLIB.exec(k))) k = `zlib.${m[1]}`;
  else if (k === "readFileSync") k = "fs.readFileSync";
  else if (/^(randomBytes|pbkdf2Sync|scryptSync|hkdfSync|(public|private)(En|De)crypt)$/.test(k)) k = `crypto.${k}`;
  return isNew ? `new ${k}` : k;
}

const key = (kind, pos) => `${kind}\t${pos}`;
const bump = (map, k, n = 1) => map.set(k, (map.get(k) ?? 0) + n);

/**
 * The probe's output, restricted to frames in `projectDir` (the library's sources), as
 * {probed: Set of the kinds it wraps, calls: Map(key -> count of all calls),
 *  allocs: Map(key -> count of calls that were not views)}.
 */
export function readProbe(file, projectDir) {
  const probed = new Set();
  const calls = new Map();
  const allocs = new Map();
  for (const line of fs.readFileSync(file, "utf8").split("\n")) {
    if (!line) continue;
    const [kind, frame, flag] = line.split("\t");
    if (kind === "#probed") {
      probed.add(frame);
      continue;
    }
    const m = /^(.*):(\d+):(\d+)$/.exec(frame);
    if (frame.startsWith("?") || !m) continue; // a built-in's own frame, not a call site
    const rel = path.relative(projectDir, m[1]);
    if (rel.startsWith("..") || path.isAbsolute(rel)) continue; // the driver, Node.js internals
    const k = key(kind, `${rel.split(path.sep).join("/")}:${m[2]}:${m[3]}`);
    bump(calls, k);
    if (flag !== "view") bump(allocs, k);
  }
  return { probed, calls, allocs };
}

/**
 * Rewritten sites of a traced build, read from the emitted JavaScript: the hoisted
 * `__ta.site(<file>, line, col, "kind", ...)` calls (<file> a `__ta_file` variable holding the path
 * or a `__ta.file("path", ...)` call) and the `intern("path", line, col, "kind", ...)` fallbacks.
 * A Set of keys; informational (the report says whether a missed call had a site at all).
 */
export function rewrittenSites(files) {
  const sites = new Set();
  const add = (file, line, col, kind) => sites.add(key(canonicalKind(JSON.parse(`"${kind}"`)), `${file}:${line}:${col}`));
  for (const text of Object.values(files)) {
    const file = /__ta_file\w*\s*=\s*(?:__ta\w*\.file\(\s*)?"([^"]+)"/.exec(text)?.[1];
    if (file) {
      for (const m of text.matchAll(/\.site\(\s*__ta_file\w*\s*,\s*(\d+)\s*,\s*(\d+)\s*,\s*"((?:[^"\\]|\\.)*)"/g)) add(file, m[1], m[2], m[3]);
    }
    for (const m of text.matchAll(/\.intern\(\s*"([^"]+)"\s*,\s*(\d+)\s*,\s*(\d+)\s*,\s*"((?:[^"\\]|\\.)*)"/g)) add(m[1], m[2], m[3], m[4]);
  }
  return sites;
}

/**
 * Compares. Returns {checked, sites, errors, untraced}:
 * - errors: traced events at a (kind, position) where V8 saw no call of that built-in, more events
 *   than V8 saw calls, kinds the probe does not cover, events outside the library's files;
 * - untraced: (kind, position) where V8 saw allocating calls that produced fewer events (missed
 *   allocations, or shapes left alone on purpose), with `rewritten` telling whether the build had a
 *   site there at all.
 */
export function compare({ events, probe, libraryFiles, sites }) {
  const errors = [];
  const traced = new Map();
  const files = new Set(libraryFiles);
  let checked = 0;
  for (const e of events) {
    if (e.event !== "alloc" && e.event !== "realloc") continue;
    if (!files.has(e.file)) {
      errors.push(`event outside the library's sources: ${JSON.stringify(e)}`);
      continue;
    }
    const kind = canonicalKind(e.kind);
    if (!probe.probed.has(kind)) {
      errors.push(`kind ${JSON.stringify(e.kind)} (at ${e.file}:${e.line}:${e.col}) is not covered by test/support/v8-probe-all.cjs: add it there`);
      continue;
    }
    checked++;
    bump(traced, key(kind, `${e.file}:${e.line}:${e.col}`));
  }
  for (const [k, n] of traced) {
    const v8 = probe.calls.get(k) ?? 0;
    const [kind, pos] = k.split("\t");
    if (v8 === 0) {
      const elsewhere = [...probe.calls.keys()].filter((c) => c.endsWith(`\t${pos}`)).map((c) => c.split("\t")[0]);
      const near = [...probe.calls.keys()].filter((c) => c.startsWith(`${kind}\t${pos.replace(/:\d+$/, ":")}`)).map((c) => c.split("\t")[1]);
      errors.push(
        `${n} ${kind} event(s) at ${pos}, where V8 saw no call of ${kind}` +
          (elsewhere.length ? ` (V8 saw ${elsewhere.join(", ")} there)` : "") +
          (near.length ? ` (V8 saw ${kind} on that line at ${near.join(", ")})` : ""),
      );
    } else if (n > v8) {
      errors.push(`${n} ${kind} event(s) at ${pos}, but V8 saw only ${v8} call(s)`);
    }
  }
  const untraced = [];
  for (const [k, n] of probe.allocs) {
    const got = traced.get(k) ?? 0;
    if (got < n) {
      const [kind, pos] = k.split("\t");
      untraced.push({ kind, pos, calls: n, events: got, rewritten: sites ? sites.has(k) : undefined });
    }
  }
  untraced.sort((a, b) => (a.pos < b.pos ? -1 : a.pos > b.pos ? 1 : a.kind < b.kind ? -1 : 1));
  return { checked, positions: traced.size, errors, untraced };
}
