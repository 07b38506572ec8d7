/**
 * GitHub Actions output for `traced-alloc check`: `::error` workflow commands (annotations on the
 * pull request's lines) and the markdown appended to `$GITHUB_STEP_SUMMARY`. Generic: it knows
 * places, titles and messages, not budgets.
 *
 * GitHub shows at most 10 error annotations per step; so at most `MAX_ANNOTATIONS` lines are
 * written: with more problems, the first 9 and a tenth `::error::… and N more` that is not dropped.
 */
import * as path from "node:path";
import type { Place } from "./model";

/** Error annotations written at most, the "and N more" line included (GitHub keeps 10 a step). */
export const MAX_ANNOTATIONS = 10;

/** A workflow command's message: `%`, CR and LF escaped (as @actions/core's escapeData). */
export function escapeData(s: string): string {
  return s.replace(/%/g, "%25").replace(/\r/g, "%0D").replace(/\n/g, "%0A");
}

/** A workflow command's property value: as a message, and `:` and `,` too (as @actions/core's escapeProperty). */
export function escapeProperty(s: string): string {
  return escapeData(s).replace(/:/g, "%3A").replace(/,/g, "%2C");
}

/**
 * A site's file as GitHub wants it, relative to the repository root (`workspace`, i.e.
 * `$GITHUB_WORKSPACE`): the trace's sites are relative to the project root (`root`, the trace
 * header's), which may be a subfolder of the workspace; then its path is put before. Without a
 * root, or with a root outside the workspace, the site's file as it is.
 */
export function repoPath(file: string, root: string | undefined, workspace: string): string {
  if (root === undefined || path.isAbsolute(file)) return file.split(path.sep).join("/");
  const r = path.relative(workspace, path.resolve(root, file));
  if (r === "" || r.startsWith("..") || path.isAbsolute(r)) return file;
  return r.split(path.sep).join("/");
}

export interface Annotation {
  /** Where (file relative to the repository root); none for a problem of the whole run. */
  readonly place?: Place;
  readonly title: string;
  readonly message: string;
}

/** The `::error` lines for `list` (in its order), at most MAX_ANNOTATIONS, the last one saying how many more. */
export function errorCommands(list: readonly Annotation[], more: (n: number) => string): string[] {
  const shown = list.length > MAX_ANNOTATIONS ? list.slice(0, MAX_ANNOTATIONS - 1) : list;
  const lines = shown.map((a) => {
    const props = [
      ...(a.place !== undefined ? [`file=${escapeProperty(a.place.file)}`, `line=${a.place.line}`, `col=${a.place.col}`] : []),
      `title=${escapeProperty(a.title)}`,
    ];
    return `::error ${props.join(",")}::${escapeData(a.message)}`;
  });
  if (shown.length < list.length) lines.push(`::error::${escapeData(more(list.length - shown.length))}`);
  return lines;
}

/** A markdown table cell: pipes escaped, lines joined. */
export function cell(s: string): string {
  return s.replace(/\\/g, "\\\\").replace(/\|/g, "\\|").replace(/\r?\n/g, " ");
}

/** A markdown table: `head`, then `rows` (cells escaped here). */
export function markdownTable(head: readonly string[], rows: readonly (readonly string[])[]): string {
  const line = (cells: readonly string[]) => `| ${cells.map(cell).join(" | ")} |\n`;
  return line(head) + `|${head.map(() => " --- |").join("")}\n` + rows.map(line).join("");
}
