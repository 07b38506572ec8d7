// Sources with `@@name ` markers where a site's column is (the suites that build a user's program
// in a fresh project write the expected locations next to the code).

/** The source without markers, and each marker's 1-based line and column. */
export function unmark(text) {
  const at = {};
  const lines = text.split("\n").map((line, i) => {
    let out = line;
    for (let m; (m = /@@(\w+) /.exec(out)); ) {
      at[m[1]] = `${i + 1}:${m.index + 1}`;
      out = out.slice(0, m.index) + out.slice(m.index + m[0].length);
    }
    return out;
  });
  return { source: lines.join("\n"), at };
}
