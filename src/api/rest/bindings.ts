/**
 * The REST bindings of the served methods, read from their descriptors: the
 * `google.api.http` option (`getOption(method, http)`) and its
 * `additional_bindings`, plus service-config rules for methods whose proto
 * cannot carry the option (grpc.health.v1 is vendored as published). Every
 * rule is checked here, at start: a template or body that names no field of
 * the request stops the server with a message naming the method.
 */

import {
  create,
  type DescField,
  type DescMessage,
  type DescMethod,
  getOption,
} from "@bufbuild/protobuf";
import { http } from "../../../gen/google/api/annotations_pb.js";
import { type HttpRule, HttpRuleSchema } from "../../../gen/google/api/http_pb.js";
import { Health } from "../../../gen/grpc/health/v1/health_pb.js";
import { type PathTemplate, parseTemplate, TemplateError } from "./path-template.js";

export interface Binding {
  rpc: DescMethod;
  /** GET, POST, PUT, PATCH, DELETE (or a custom kind). */
  httpMethod: string;
  template: PathTemplate;
  /** "" (no body), "*" (every field the path does not bind) or a top-level field name. */
  body: string;
  /** "" (the whole response) or a top-level field of the response. */
  responseBody: string;
  /** The rule itself rather than one of its additional_bindings. */
  primary: boolean;
}

/**
 * Rules kept beside the code, as a service config's `http.rules` would hold
 * them: grpc.health.v1 is the published proto, left as it is.
 */
export const SERVICE_CONFIG_RULES: readonly HttpRule[] = [
  create(HttpRuleSchema, {
    selector: `${Health.typeName}.${Health.method.check.name}`,
    pattern: { case: "get", value: "/v1/health" },
  }),
  create(HttpRuleSchema, {
    selector: `${Health.typeName}.${Health.method.list.name}`,
    pattern: { case: "get", value: "/v1/health/services" },
  }),
];

export class BindingError extends Error {}

/** The bindings of these methods, in order; methods without a rule have none. */
export function bindingsOf(
  methods: Iterable<DescMethod>,
  serviceConfig: readonly HttpRule[] = SERVICE_CONFIG_RULES,
): Binding[] {
  const configured = new Map(serviceConfig.map((rule) => [rule.selector, rule]));
  const out: Binding[] = [];
  for (const rpc of methods) {
    const rule = configured.get(`${rpc.parent.typeName}.${rpc.name}`) ?? getOption(rpc, http);
    if (rule.pattern.case === undefined) continue; // no rule: gRPC, Connect and gRPC-Web only
    if (rpc.methodKind !== "unary") {
      throw new BindingError(`${rpc.parent.typeName}/${rpc.name}: only unary methods map to REST`);
    }
    out.push(bindingOf(rpc, rule, true));
    for (const extra of rule.additionalBindings) {
      if (extra.additionalBindings.length > 0) {
        throw new BindingError(`${rpc.parent.typeName}/${rpc.name}: nested additional_bindings`);
      }
      out.push(bindingOf(rpc, extra, false));
    }
  }
  return out;
}

function bindingOf(rpc: DescMethod, rule: HttpRule, primary: boolean): Binding {
  const where = `${rpc.parent.typeName}/${rpc.name}`;
  const pattern = rule.pattern;
  let httpMethod: string;
  let source: string;
  switch (pattern.case) {
    case "custom":
      httpMethod = pattern.value.kind.toUpperCase();
      source = pattern.value.path;
      break;
    case undefined:
      throw new BindingError(`${where}: a binding without a method and path`);
    default:
      httpMethod = pattern.case.toUpperCase();
      source = pattern.value;
  }
  let template: PathTemplate;
  try {
    template = parseTemplate(source);
  } catch (err) {
    if (err instanceof TemplateError) throw new BindingError(`${where}: ${err.message}`);
    throw err;
  }
  for (const v of template.variables) {
    const leaf = fieldAt(rpc.input, v.fieldPath);
    if (
      !leaf ||
      leaf.fieldKind === "message" ||
      leaf.fieldKind === "list" ||
      leaf.fieldKind === "map"
    ) {
      throw new BindingError(
        `${where}: path variable {${v.fieldPath.join(".")}} is not a singular scalar field of ${rpc.input.typeName}`,
      );
    }
  }
  if (
    rule.body !== "" &&
    rule.body !== "*" &&
    !rpc.input.fields.some((f) => f.name === rule.body)
  ) {
    throw new BindingError(`${where}: body "${rule.body}" is no field of ${rpc.input.typeName}`);
  }
  if (rule.responseBody !== "" && !rpc.output.fields.some((f) => f.name === rule.responseBody)) {
    throw new BindingError(
      `${where}: response_body "${rule.responseBody}" is no field of ${rpc.output.typeName}`,
    );
  }
  return { rpc, httpMethod, template, body: rule.body, responseBody: rule.responseBody, primary };
}

/** The field at a path of proto names (`job`, `id`), through singular messages. */
export function fieldAt(message: DescMessage, path: readonly string[]): DescField | undefined {
  let current: DescMessage | undefined = message;
  let field: DescField | undefined;
  for (const name of path) {
    if (!current) return undefined;
    field = current.fields.find((f) => f.name === name);
    if (!field) return undefined;
    current = field.fieldKind === "message" ? field.message : undefined;
  }
  return field;
}
