/**
 * Path templates of `google.api.http` rules (google/api/http.proto):
 *
 *     Template = "/" Segments [ Verb ] ;
 *     Segments = Segment { "/" Segment } ;
 *     Segment  = "*" | "**" | LITERAL | Variable ;
 *     Variable = "{" FieldPath [ "=" Segments ] "}" ;
 *     Verb     = ":" LITERAL ;
 *
 * Wildcards are taken inside variables only (`{name=calendars/*}`,
 * `{path=**}`): a bare `*` would bind nothing of the request, so a template
 * with one is refused when the routes are built. Matching works on the raw
 * (still percent-encoded) path, so that an encoded `/` or `:` inside an id
 * cannot move a segment boundary; each variable is decoded afterwards.
 */

type Segment =
  | { kind: "literal"; value: string }
  | { kind: "one" } // `*`: one segment
  | { kind: "rest" }; // `**`: the remaining segments (zero or more)

interface Variable {
  /** Field path in the request message, e.g. ["job", "id"]. */
  fieldPath: string[];
  /** Index of its first segment. */
  start: number;
  /** Index after its last segment. */
  end: number;
}

export interface PathTemplate {
  /** As written in the rule. */
  readonly source: string;
  readonly segments: readonly Segment[];
  readonly variables: readonly Variable[];
  readonly verb: string | undefined;
}

export class TemplateError extends Error {}

const IDENT = /^[A-Za-z_][A-Za-z0-9_]*$/;
const LITERAL = /^[A-Za-z0-9._~!$&'()+,;=@-]+$/;

/** Parses a template; throws TemplateError naming what is wrong. */
export function parseTemplate(source: string): PathTemplate {
  const fail = (why: string): never => {
    throw new TemplateError(`path template "${source}": ${why}`);
  };
  if (!source.startsWith("/")) fail('must start with "/"');
  let body = source.slice(1);
  // The verb: a ":" after the last "/" that is not inside a variable.
  let verb: string | undefined;
  const lastSlash = body.lastIndexOf("/");
  const lastBrace = body.lastIndexOf("}");
  const colon = body.lastIndexOf(":");
  if (colon > lastSlash && colon > lastBrace) {
    verb = body.slice(colon + 1);
    body = body.slice(0, colon);
    if (!LITERAL.test(verb)) fail(`bad verb "${verb}"`);
  }
  const segments: Segment[] = [];
  const variables: Variable[] = [];
  const bare = (text: string, inVariable: boolean): Segment => {
    if (text === "*" || text === "**") {
      if (!inVariable) fail(`"${text}" outside a variable binds no field`);
      return text === "*" ? { kind: "one" } : { kind: "rest" };
    }
    if (!LITERAL.test(text)) fail(`bad segment "${text}"`);
    return { kind: "literal", value: text };
  };
  let i = 0;
  while (i <= body.length) {
    if (body[i] === "{") {
      const close = body.indexOf("}", i);
      if (close < 0) fail("unclosed {");
      const inner = body.slice(i + 1, close);
      const eq = inner.indexOf("=");
      const path = eq < 0 ? inner : inner.slice(0, eq);
      const fieldPath = path.split(".");
      if (!fieldPath.every((p) => IDENT.test(p))) fail(`bad field path "${path}"`);
      const start = segments.length;
      const parts = eq < 0 ? ["*"] : inner.slice(eq + 1).split("/");
      for (const part of parts) segments.push(bare(part, true));
      variables.push({ fieldPath, start, end: segments.length });
      i = close + 1;
    } else {
      const slash = body.indexOf("/", i);
      const end = slash < 0 ? body.length : slash;
      segments.push(bare(body.slice(i, end), false));
      i = end;
    }
    if (i < body.length && body[i] !== "/") fail(`unexpected "${body[i]}"`);
    i++;
  }
  const rest = segments.findIndex((s) => s.kind === "rest");
  if (rest >= 0 && rest !== segments.length - 1) fail('"**" must be the last segment');
  return { source, segments, variables, verb };
}

/** How specific a template is: literal segments and a verb win over variables. */
export function specificity(t: PathTemplate): number {
  return t.segments.filter((s) => s.kind === "literal").length * 2 + (t.verb ? 1 : 0);
}

/**
 * Matches a raw request path (no query). Returns the decoded value of each
 * variable by field path (`job.id`), or undefined when the path does not fit.
 * A variable never matches an empty segment.
 */
export function matchTemplate(t: PathTemplate, rawPath: string): Map<string, string> | undefined {
  if (!rawPath.startsWith("/")) return undefined;
  let path = rawPath.slice(1);
  if (t.verb !== undefined) {
    const suffix = `:${t.verb}`;
    if (!path.endsWith(suffix)) return undefined;
    path = path.slice(0, -suffix.length);
  }
  const parts = path.split("/");
  const last = t.segments[t.segments.length - 1];
  const restAt = last?.kind === "rest" ? t.segments.length - 1 : -1;
  if (restAt < 0 ? parts.length !== t.segments.length : parts.length < restAt) return undefined;
  for (let k = 0; k < t.segments.length; k++) {
    const seg = t.segments[k]!;
    if (seg.kind === "rest") break;
    const part = parts[k]!;
    if (seg.kind === "literal" ? part !== seg.value : part === "") return undefined;
  }
  const values = new Map<string, string>();
  for (const v of t.variables) {
    const taken =
      v.end > restAt && restAt >= 0 ? parts.slice(v.start) : parts.slice(v.start, v.end);
    const decoded = decodeSegments(taken);
    if (decoded === undefined || decoded === "") return undefined;
    values.set(v.fieldPath.join("."), decoded);
  }
  return values;
}

/**
 * One segment is decoded in full; several are joined by "/" with "%2F" left
 * encoded, as the rules say for multi-segment variables.
 */
function decodeSegments(parts: string[]): string | undefined {
  try {
    if (parts.length === 1) return decodeURIComponent(parts[0]!);
    return parts.map((p) => decodeURIComponent(p.replace(/%2F/gi, "%252F"))).join("/");
  } catch {
    return undefined; // a malformed escape: no match
  }
}

/** The OpenAPI form of the path: each variable as `{field.path}`. */
export function openApiPath(t: PathTemplate): string {
  const out: string[] = [];
  for (let k = 0; k < t.segments.length; ) {
    const v = t.variables.find((x) => x.start === k);
    if (v) {
      out.push(`{${v.fieldPath.join(".")}}`);
      k = v.end;
    } else {
      const seg = t.segments[k]!;
      out.push(seg.kind === "literal" ? seg.value : "*");
      k++;
    }
  }
  return `/${out.join("/")}${t.verb ? `:${t.verb}` : ""}`;
}
