/**
 * The OpenAPI document built from the google.api.http bindings: valid
 * OpenAPI 3.1 (checked by @seriousme/openapi-schema-validator, every `$ref`
 * resolved), one operation per binding, and schemas that follow the proto
 * JSON mapping (names, 64-bit strings, well-known types, enums, oneofs, maps).
 */

import { Validator } from "@seriousme/openapi-schema-validator";
import { describe, expect, it } from "vitest";
import { bindingsOf } from "../../../src/api/rest/bindings.js";
import { buildOpenApi } from "../../../src/api/rest/openapi.js";
import { openApiPath } from "../../../src/api/rest/path-template.js";
import { SERVED_SERVICES } from "../../support/services.js";

const bindings = bindingsOf(SERVED_SERVICES.flatMap((s) => s.methods));
// biome-ignore lint/suspicious/noExplicitAny: a JSON document read in assertions
const doc = buildOpenApi(bindings) as any;
// biome-ignore lint/suspicious/noExplicitAny: as above
const schema = (name: string): any => doc.components.schemas[name];

describe("OpenAPI document", () => {
  it("is valid OpenAPI 3.1 with every $ref resolved", async () => {
    const validator = new Validator();
    const res = await validator.validate(structuredClone(doc));
    expect(res.errors ?? []).toEqual([]);
    expect(res.valid).toBe(true);
    expect(validator.version).toBe("3.1");
    expect(() => validator.resolveRefs()).not.toThrow();
    const text = JSON.stringify(doc);
    for (const [, kind, name] of text.matchAll(/"#\/components\/(\w+)\/([^"]+)"/g)) {
      expect(doc.components[kind!][name!], `${kind}/${name}`).toBeDefined();
    }
  });

  it("has one operation per binding, additional_bindings included, with unique ids", () => {
    const ops = Object.entries(doc.paths).flatMap(([path, item]) =>
      Object.keys(item as object).map((m) => `${m.toUpperCase()} ${path}`),
    );
    expect(ops.sort()).toEqual(
      bindings.map((b) => `${b.httpMethod} ${openApiPath(b.template)}`).sort(),
    );
    expect(ops).toContain("POST /jobs");
    expect(ops).toContain("POST /jobs/{id}:runNow");
    expect(ops).toContain("GET /v1/jobs/{job_id}/executions");
    const ids = Object.values(doc.paths).flatMap((item) =>
      Object.values(item as Record<string, { operationId: string }>).map((o) => o.operationId),
    );
    expect(new Set(ids).size).toBe(ids.length);
  });

  it("binds path and query parameters and bodies as the transcoder reads them", () => {
    const getJob = doc.paths["/jobs/{id}"].get;
    expect(getJob.parameters).toEqual([
      { name: "id", in: "path", required: true, schema: { type: "string" } },
    ]);
    const list = doc.paths["/jobs"].get;
    const names = list.parameters.map((p: { name: string }) => p.name);
    expect(names).toEqual(expect.arrayContaining(["status", "page_size", "user_id", "userId"]));
    expect(list.requestBody).toBeUndefined();
    const patch = doc.paths["/jobs/{job.id}"].patch;
    expect(patch.parameters.map((p: { name: string }) => p.name)).toEqual(
      expect.arrayContaining(["job.id", "update_mask", "expected_version"]),
    );
    expect(patch.requestBody.content["application/json"].schema).toEqual({
      $ref: "#/components/schemas/chronoring.v1.Job",
    });
    const create = doc.paths["/jobs"].post;
    expect(create.parameters).toBeUndefined(); // body "*": nothing from the query
    expect(create.requestBody.content["application/json"].schema.$ref).toBe(
      "#/components/schemas/chronoring.v1.CreateJobRequest",
    );
  });

  it("follows the proto JSON mapping", () => {
    const job = schema("chronoring.v1.Job").properties;
    expect(job.version).toMatchObject({ type: "string", format: "int64" });
    expect(job.createTime).toMatchObject({ type: "string", format: "date-time" });
    expect(job.retryPolicy).toEqual({ $ref: "#/components/schemas/chronoring.v1.RetryPolicy" });
    expect(job.tags).toEqual({ type: "array", items: { type: "string" } });
    expect(job.status).toEqual({ $ref: "#/components/schemas/chronoring.v1.JobStatus" });
    expect(schema("chronoring.v1.JobStatus").enum).toContain("JOB_STATUS_PAUSED");
    const text = JSON.stringify(doc.components.schemas);
    expect(text).not.toMatch(/"[a-z]+_[a-z_]+":\{/); // no proto (snake_case) property names
    expect(text).toContain('"pattern":"^-?[0-9]+(\\\\.[0-9]{1,9})?s$"'); // a Duration
    // A oneof: one member excludes the others.
    const target = schema("chronoring.v1.JobTarget");
    expect(target.dependentSchemas.http.not.anyOf).toContainEqual({ required: ["noop"] });
    // A map of strings.
    expect(text).toMatch(/"type":"object","additionalProperties":\{"type":"string"\}/);
  });

  it("declares the bearer scheme, open health paths and the error answers", () => {
    expect(doc.components.securitySchemes.bearer).toMatchObject({
      type: "http",
      scheme: "bearer",
      bearerFormat: "JWT",
    });
    expect(doc.security).toEqual([{ bearer: [] }]);
    expect(doc.paths["/v1/health"].get.security).toEqual([]);
    const create = doc.paths["/jobs"].post;
    expect(create["x-chronoring-role"]).toBe("editor");
    expect(create.responses["400"]).toEqual({ $ref: "#/components/responses/E400" });
    expect(doc.components.responses.E409.description).toBe("already_exists, aborted");
    expect(doc.components.responses.E412.description).toBe("failed_precondition");
    expect(doc.components.schemas.Error.required).toEqual(["code", "message"]);
  });
});
