/**
 * Lists that come in pages: one page, or with `--all` every page (a
 * progress count on stderr while they come), returned as one list.
 */

import { startProgress } from "./progress.js";

export interface Page<T> {
  items: T[];
  /** Empty on the last page. */
  next: string;
}

export interface PagingOptions {
  all?: boolean;
  pageToken?: string;
}

/** The first page (from `pageToken`), or every page with `all`. */
export async function pages<T>(
  label: string,
  fetch: (pageToken: string) => Promise<Page<T>>,
  o: PagingOptions,
): Promise<Page<T>> {
  const first = await fetch(o.pageToken ?? "");
  if (!o.all || first.next === "") return first;
  const items = [...first.items];
  const progress = startProgress(label);
  progress.increment(first.items.length);
  try {
    let next = first.next;
    while (next !== "") {
      const page = await fetch(next);
      items.push(...page.items);
      progress.increment(page.items.length);
      next = page.next;
    }
  } finally {
    progress.stop();
  }
  return { items, next: "" };
}
