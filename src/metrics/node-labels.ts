// Sender names (Basic-auth usernames) as metric labels and keys of per-node state. With
// AUTH_USERNAMES unset any name authenticates, so each new one would add series to /metrics and
// entries to per-node maps without end (Keycloak pods renamed on every rollout, or a holder of the
// secret inventing names). The names configured (AUTH_USERNAMES, NODE_SETTINGS) are always their own
// label; other names are too until NODE_NAMES_MAX distinct ones were seen since start, and later
// ones share the label `other`. Reaching the cap is logged once; each request under `other` counted.

export const NODE_NAMES_MAX = 256;
export const OTHER_NODES = 'other';

export class NodeLabels {
  private readonly configured: ReadonlySet<string>;
  private readonly seen = new Set<string>();
  private capReached = false;

  constructor(
    configured: Iterable<string>,
    /** Called for each name labelled `other`; `capJustReached` the first time only. */
    private readonly onOther: (capJustReached: boolean) => void,
    private readonly max = NODE_NAMES_MAX,
  ) {
    this.configured = new Set(configured);
  }

  /** The label (and per-node key) of an authenticated sender: its name, or `other` beyond the cap. */
  of(node: string): string {
    if (this.configured.has(node) || this.seen.has(node)) return node;
    if (this.seen.size < this.max) {
      this.seen.add(node);
      return node;
    }
    this.onOther(!this.capReached);
    this.capReached = true;
    return OTHER_NODES;
  }
}
