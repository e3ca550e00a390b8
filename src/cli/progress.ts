/**
 * A progress bar for operations over many items (every page of a list, a
 * bulk redrive or delete), drawn on stderr with cli-progress, and only when
 * stderr is a terminal: a pipe or a log file gets nothing.
 */

import cliProgress from "cli-progress";

// A CommonJS module: its members are on the default export under Node's ESM.
const { Format, Presets, SingleBar } = cliProgress;

export interface Progress {
  /** `n` more items done. */
  increment(n?: number): void;
  /** The total, once known (or grown). */
  setTotal(total: number): void;
  stop(): void;
}

const SILENT: Progress = { increment() {}, setTotal() {}, stop() {} };

/**
 * Starts a bar labelled `label`; with no `total` yet it counts items
 * (`listing jobs 1200`) until `setTotal`.
 */
export function startProgress(
  label: string,
  total?: number,
  stream: NodeJS.WritableStream & { isTTY?: boolean } = process.stderr,
): Progress {
  if (!stream.isTTY) return SILENT;
  let known = total !== undefined;
  const bar = new SingleBar(
    {
      stream,
      hideCursor: true,
      clearOnComplete: false,
      barsize: 30,
      // The bar once the total is known; a count of items until then.
      format: (options, params, payload) =>
        Format.Formatter(
          { ...options, format: known ? "{label} {bar} {value}/{total}" : "{label} {value}" },
          params,
          payload,
        ),
    },
    Presets.shades_classic,
  );
  bar.start(total ?? 0, 0, { label });
  return {
    increment: (n = 1) => bar.increment(n),
    setTotal: (t) => {
      known = true;
      bar.setTotal(t);
    },
    stop: () => bar.stop(),
  };
}
