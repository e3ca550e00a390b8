/**
 * A domain → proto enum table read backwards: the one way every codec turns
 * a proto enum number back into its domain value (absent: a number this
 * server does not know).
 */
export function invert<K extends string, V extends number>(m: Record<K, V>): Map<V, K> {
  return new Map(Object.entries(m).map(([k, v]) => [v as V, k as K]));
}
