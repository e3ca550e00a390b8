/**
 * k6's `console` (logged by k6, `--console-output` to a file): @types/k6 leaves it out,
 * and lib "DOM" would declare much that k6 lacks (fetch, window, ...).
 */
declare const console: {
  log(...data: unknown[]): void;
  info(...data: unknown[]): void;
  warn(...data: unknown[]): void;
  error(...data: unknown[]): void;
  debug(...data: unknown[]): void;
};
