/**
 * Turns a job's typed parameters into the values `pg` binds as $1..$n. They
 * travel in the Bind message, apart from the statement text, so a value is
 * never read as SQL whatever it holds. `pg` sends each as text and the
 * server gives it the type its place in the statement calls for.
 */
import type { DatabaseParam } from "../../core/database-target.js";

export type BoundValue = string | number | boolean | null;

export function bindValues(params: readonly DatabaseParam[]): BoundValue[] {
  return params.map(bindValue);
}

function bindValue(p: DatabaseParam): BoundValue {
  switch (p.type) {
    case "string":
      return p.value;
    // Decimal text: a 64-bit value would lose digits as a JS number.
    case "int":
      return p.value;
    case "double":
      return p.value;
    case "bool":
      return p.value;
    case "null":
      return null;
    // The JSON text itself (not an object: `pg` would serialise it again).
    case "json":
      return p.value;
  }
}
