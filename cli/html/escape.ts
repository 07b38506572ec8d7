/**
 * Everything a trace says (file names, kinds, keys, argv) is user data. These are the only ways the
 * page puts it into HTML: as escaped text, as escaped attribute values, or as JSON inside a
 * `<script type="application/json">` that no `</script>` or `<!--` in the data can end early.
 */

const entities: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };

/** Text or an attribute value (quoted with `"`), escaped. */
export function esc(value: string | number): string {
  return String(value).replace(/[&<>"']/g, (c) => entities[c]);
}

/**
 * JSON for a `<script type="application/json">` element: `<` is written `\u003c` (so neither
 * `</script>` nor `<!--` can appear), and U+2028 / U+2029 as escapes. `JSON.parse` reads it back unchanged.
 */
export function scriptJson(value: unknown): string {
  return JSON.stringify(value).replace(/[<\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
}

/**
 * A script's source, made safe to inline in `<script>…</script>`: a `</script` or `<!--` in it can only
 * sit in a string or a regular expression, where `<\/script` and `\x3C!--` mean the same to
 * JavaScript and nothing to the HTML parser.
 */
export function inlineScript(source: string): string {
  return source.replace(/<\/(script)/gi, "<\\/$1").replace(/<!--/g, "\\x3C!--");
}
