/**
 * A text progress bar for the status line: `[#########...............] 37%`. Hand-written rather
 * than a library: the status line (stderr, TTY only, cleared at the end) is already `Io.status`,
 * so all that is left is this one string.
 */
export function progressBar(done: number, total: number, width = 24): string {
  const fraction = total > 0 ? Math.min(1, done / total) : 0;
  const filled = Math.round(fraction * width);
  return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${String(Math.floor(fraction * 100)).padStart(3)}%`;
}

/** A status line cut to fit `columns` (one short of them, so the cursor stays on the line); whole when the width is unknown. */
export function fitLine(line: string, columns: number | undefined): string {
  if (!columns || columns < 2 || line.length < columns) return line;
  return `${line.slice(0, columns - 2)}…`;
}
