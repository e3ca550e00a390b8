/**
 * Runs `fn` over `items` in their order, at most `limit` at a time: each of
 * `limit` lanes takes the next item when it is done with its last. Rejects
 * with the first failure (the other lanes finish the item they hold).
 */
export async function inOrder<T>(
  items: readonly T[],
  limit: number,
  fn: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      for (let k = next++; k < items.length; k = next++) await fn(items[k]!);
    }),
  );
}
