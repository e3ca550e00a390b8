/**
 * CHRONORING_TARGET_ALLOW for tests whose receivers listen on loopback: the
 * default of `testConfig` and of e2e clusters. Tests of the SSRF protection
 * itself set their own (usually empty).
 */
export const LOOPBACK_TARGETS = "127.0.0.0/8,::1";
