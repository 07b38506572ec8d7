// Run by the `bun` binary (test/unplugin-more.test.mjs): Bun.build of one entry with
// traced-allocator/bun. Argument: a JSON object {plugin, entry, root, outdir, naming, format,
// tsconfig, external}. Prints one JSON line: {success, logs, outputs, ms}.
const { plugin, entry, root, outdir, naming, format, tsconfig, external } = JSON.parse(process.argv[2]);
const tracedAllocator = require(plugin);
const started = performance.now();
const result = await Bun.build({
  entrypoints: [entry],
  root,
  outdir,
  naming,
  target: "node",
  format,
  sourcemap: "linked",
  external,
  plugins: [tracedAllocator({ tsconfig })],
  throw: false,
});
console.log(JSON.stringify({
  success: result.success,
  logs: result.logs.map(String),
  outputs: result.outputs.map((o) => o.path),
  ms: Math.round(performance.now() - started),
}));
