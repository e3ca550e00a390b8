/**
 * The packet drops of one test network, rendered as one nftables table per
 * namespace. Pure: the hosts module applies what this renders.
 */

/** An address on the test network; `namespace` is undefined for the root namespace. */
export interface Endpoint {
  name: string;
  ip: string;
  namespace: string | undefined;
}

/** Packets from `from` to `to` are dropped (only TCP to/from the port, when one is given). */
export interface Drop {
  from: Endpoint;
  to: Endpoint;
  /** Only segments with this TCP destination port. */
  dport?: number;
  /** Only segments with this TCP source port. */
  sport?: number;
}

/** Named for the project so that a sweep or a person reading `nft list ruleset` knows it. */
export const TABLE = "chronoring_netfaults";

/**
 * Where a drop is enforced: in the sender's output chain when the sender is a
 * namespace of ours, else in the receiver's input chain. The root namespace's
 * own firewall is never touched.
 */
export function placeDrop(drop: Drop): { namespace: string; chain: "input" | "output" } {
  if (drop.from.namespace) return { namespace: drop.from.namespace, chain: "output" };
  if (drop.to.namespace) return { namespace: drop.to.namespace, chain: "input" };
  throw new Error(
    `cannot drop packets from ${drop.from.name} to ${drop.to.name}: both are in the root namespace`,
  );
}

function ruleFor(drop: Drop): string {
  const parts = [`ip saddr ${drop.from.ip}`, `ip daddr ${drop.to.ip}`];
  if (drop.dport !== undefined) parts.push(`tcp dport ${drop.dport}`);
  if (drop.sport !== undefined) parts.push(`tcp sport ${drop.sport}`);
  return `${parts.join(" ")} drop`;
}

/**
 * The nft script that replaces the table in `namespace` with exactly `drops`
 * (those placed there). Declaring the table before deleting it makes the
 * script work whether or not it exists; `nft -f` applies it atomically.
 */
export function renderTable(namespace: string, drops: readonly Drop[]): string {
  const chains = { input: [] as string[], output: [] as string[] };
  for (const drop of drops) {
    const place = placeDrop(drop);
    if (place.namespace === namespace) chains[place.chain].push(ruleFor(drop));
  }
  const chain = (name: "input" | "output") =>
    [
      `  chain ${name} {`,
      `    type filter hook ${name} priority 0; policy accept;`,
      ...chains[name].map((rule) => `    ${rule}`),
      "  }",
    ].join("\n");
  return [
    `table inet ${TABLE}`,
    `delete table inet ${TABLE}`,
    `table inet ${TABLE} {`,
    chain("input"),
    chain("output"),
    "}",
    "",
  ].join("\n");
}

/** Whether `drop` is between a and b, either way. */
export function between(drop: Drop, a: Endpoint, b: Endpoint): boolean {
  return (
    (drop.from.ip === a.ip && drop.to.ip === b.ip) || (drop.from.ip === b.ip && drop.to.ip === a.ip)
  );
}
