/**
 * Where the nodes of a local Cassandra cluster listen: node N on 127.0.0.N, every node on the
 * same ports (the loopback range needs no setup on Linux). Known to the config (Temporal's
 * hosts), the stack (the apps' contact points) and the node specs alike.
 */

/** The loopback address of node `n` (1-based) of a local cluster. */
export const nodeAddress = (n: number): string => `127.0.0.${n}`;

/** `host:port` of every node's CQL listener: the apps' and Temporal's contact points. */
export function clusterContactPoints(nodes: number, port: number): string[] {
  return Array.from({ length: nodes }, (_, i) => `${nodeAddress(i + 1)}:${port}`);
}
