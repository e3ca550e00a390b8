/** How every command prints: plain text for people and scripts, or `--json`. */

export interface OutputOptions {
  json?: boolean;
}

export function print(options: OutputOptions, text: string, value: unknown): void {
  process.stdout.write(options.json ? `${JSON.stringify(value, null, 2)}\n` : `${text}\n`);
}
