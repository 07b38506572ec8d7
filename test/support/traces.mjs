// Traces as a user reads them, for comparing two builds of one program: each event with its site's
// key, and the site table; without what differs from run to run (times, pid, argv).
import * as fs from "node:fs";
import * as path from "node:path";

export function normalized(records) {
  const sites = new Map(records.filter((r) => r.site !== undefined && r.event === undefined).map((r) => [`${r.thread}:${r.site}`, r]));
  const events = records
    .filter((r) => r.event !== undefined)
    .map((e) => ({
      event: e.event,
      size: e.size,
      align: e.align,
      newSize: e.newSize,
      place: `${e.file}:${e.line}:${e.col}`,
      kind: e.kind,
      key: sites.get(`${e.thread}:${e.site}`)?.key,
      id: e.id,
      thread: e.thread,
    }));
  const table = [...sites.values()].map(({ file, line, col, kind, key, inner }) => ({ place: `${file}:${line}:${col}`, kind, key, inner }));
  return { events, table };
}

/** The fixture folders of fixtures/, as test/fixtures.test.mjs enumerates them. */
export function fixtureNames(fixturesDir) {
  return fs
    .readdirSync(fixturesDir)
    .filter((d) => fs.existsSync(path.join(fixturesDir, d, "tsconfig.json")) && !fs.existsSync(path.join(fixturesDir, d, ".not-a-fixture")));
}

/** A fixture's fixture.json ({main, nodeArgs, cwd, sameOutput}), or {}. */
export function fixtureMeta(dir) {
  const meta = path.join(dir, "fixture.json");
  return fs.existsSync(meta) ? JSON.parse(fs.readFileSync(meta, "utf8")) : {};
}
