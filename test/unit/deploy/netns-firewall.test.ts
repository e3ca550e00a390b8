import { describe, expect, it } from "vitest";
import { placeDrop, renderTable, TABLE } from "../../../deploy/local/netns/firewall.js";

const node = { name: "s1", ip: "10.77.0.2", namespace: "crn-x-s1" };
const etcd = { name: "etcd1", ip: "10.77.0.3", namespace: "crn-x-etcd1" };
const gateway = { name: "gateway", ip: "10.77.0.1", namespace: undefined };

describe("test network firewall rules", () => {
  it("drops in the sender's output chain, or the receiver's input chain when the sender is the root namespace", () => {
    expect(placeDrop({ from: node, to: etcd })).toEqual({
      namespace: node.namespace,
      chain: "output",
    });
    expect(placeDrop({ from: gateway, to: node })).toEqual({
      namespace: node.namespace,
      chain: "input",
    });
  });

  it("never places a rule in the root namespace", () => {
    expect(() => placeDrop({ from: gateway, to: gateway })).toThrow(/root namespace/);
  });

  it("renders only the drops placed in the namespace, replacing the table atomically", () => {
    const script = renderTable(node.namespace, [
      { from: node, to: gateway, dport: 8000 },
      { from: gateway, to: node, sport: 8000 },
      { from: etcd, to: node },
    ]);
    expect(script.startsWith(`table inet ${TABLE}\ndelete table inet ${TABLE}\n`)).toBe(true);
    expect(script).toContain("ip saddr 10.77.0.2 ip daddr 10.77.0.1 tcp dport 8000 drop");
    expect(script).toContain("ip saddr 10.77.0.1 ip daddr 10.77.0.2 tcp sport 8000 drop");
    expect(script).not.toContain("ip saddr 10.77.0.3");
  });

  it("renders empty chains when nothing is dropped (a healed namespace)", () => {
    const script = renderTable(node.namespace, []);
    expect(script).not.toContain("drop");
    expect(script).toContain("policy accept;");
  });
});
