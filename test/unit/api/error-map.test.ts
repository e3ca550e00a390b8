import { Code, ConnectError } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import { CODE_TO_HTTP_STATUS, toConnectError } from "../../../src/api/error-map.js";
import { ChronoringError, type ErrorKind, invalidArgument } from "../../../src/core/errors.js";

describe("toConnectError", () => {
  it.each<[ErrorKind, Code]>([
    ["invalid_argument", Code.InvalidArgument],
    ["not_found", Code.NotFound],
    ["already_exists", Code.AlreadyExists],
    ["failed_precondition", Code.FailedPrecondition],
    ["aborted", Code.Aborted],
    ["permission_denied", Code.PermissionDenied],
    ["unauthenticated", Code.Unauthenticated],
    ["resource_exhausted", Code.ResourceExhausted],
    ["unavailable", Code.Unavailable],
  ])("maps %s to its code and keeps the message", (kind, code) => {
    const err = new ChronoringError(kind, `something ${kind}`);
    const ce = toConnectError(err, "cid-1");
    expect(ce.code).toBe(code);
    expect(ce.rawMessage).toBe(`something ${kind}`);
    expect(ce.cause).toBe(err);
  });

  it("starts an invalid_argument message with the field", () => {
    expect(toConnectError(invalidArgument("target.http.url", "bad"), "c").rawMessage).toBe(
      "target.http.url: bad",
    );
    const bare = new ChronoringError("invalid_argument", "bad", { field: "owner" });
    expect(toConnectError(bare, "c").rawMessage).toBe("owner: bad");
  });

  it("hides anything else behind Internal with the correlation id", () => {
    const secret = new Error("password=hunter2 at db.internal:5432");
    const ce = toConnectError(secret, "cid-42");
    expect(ce.code).toBe(Code.Internal);
    expect(ce.rawMessage).toBe("internal error (correlation id cid-42)");
    expect(ce.message).not.toContain("hunter2");
    expect(ce.cause).toBe(secret);
    expect(toConnectError("a string", "x").code).toBe(Code.Internal);
    expect(toConnectError(undefined, "x").code).toBe(Code.Internal);
  });

  it("treats a domain error of an unknown kind as internal", () => {
    const odd = new ChronoringError("exploded" as ErrorKind, "leaky detail");
    const ce = toConnectError(odd, "cid");
    expect(ce.code).toBe(Code.Internal);
    expect(ce.rawMessage).not.toContain("leaky");
  });

  it("passes a ConnectError raised by the API layer through", () => {
    const own = new ConnectError("unknown service", Code.NotFound);
    expect(toConnectError(own, "c")).toBe(own);
  });

  it("hides a ConnectError received from another server", () => {
    const remote = new ConnectError("upstream detail", Code.NotFound);
    remote.isWireError = true;
    const ce = toConnectError(remote, "c");
    expect(ce.code).toBe(Code.Internal);
    expect(ce.rawMessage).not.toContain("upstream");
  });
});

describe("the HTTP status of each code (REST)", () => {
  it.each([
    [Code.InvalidArgument, 400],
    [Code.Unauthenticated, 401],
    [Code.PermissionDenied, 403],
    [Code.NotFound, 404],
    [Code.AlreadyExists, 409],
    [Code.Aborted, 409],
    [Code.FailedPrecondition, 412],
    [Code.ResourceExhausted, 429],
    [Code.Unavailable, 503],
    [Code.Internal, 500],
  ])("code %i → %i", (code, status) => {
    expect(CODE_TO_HTTP_STATUS[code]).toBe(status);
  });
});
