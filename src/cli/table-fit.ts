/**
 * Column widths for a table on a terminal of a given width: pure, so that
 * the narrow-terminal rules are unit-tested without a terminal.
 */

/** A free-text column wraps down to this many characters, no fewer. */
export const FLEX_MIN = 12;

export interface Fit {
  /** Which columns are shown. */
  keep: boolean[];
  /** The width of every column (a dropped one keeps its natural width). */
  widths: number[];
  /** Whether some column is narrower than its content (the table must wrap). */
  wrapped: boolean;
}

/**
 * Drops optional columns from the right, then narrows free-text columns,
 * widest first, until the table fits `available` (or nothing more can give:
 * ids are never cut, a table may then run wider than the terminal).
 */
export function fitWidths(
  natural: number[],
  columns: ReadonlyArray<{ flex?: boolean; optional?: boolean }>,
  available: number,
  gap: number,
): Fit {
  const keep = natural.map(() => true);
  const widths = [...natural];
  const total = () =>
    widths.reduce((sum, w, i) => (keep[i] ? sum + w : sum), 0) +
    gap * (keep.filter(Boolean).length - 1);
  for (let i = columns.length - 1; i >= 0 && total() > available; i--) {
    if (columns[i]?.optional) keep[i] = false;
  }
  let wrapped = false;
  while (total() > available) {
    let widest = -1;
    for (let i = 0; i < widths.length; i++) {
      if (!keep[i] || !columns[i]?.flex || widths[i]! <= FLEX_MIN) continue;
      if (widest < 0 || widths[i]! > widths[widest]!) widest = i;
    }
    if (widest < 0) break;
    widths[widest]! -= 1;
    wrapped = true;
  }
  return { keep, widths, wrapped };
}
