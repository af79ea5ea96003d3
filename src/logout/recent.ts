// The latest logout messages this process published, for the status page: a bounded ring in memory
// (not a log: the durable state is the revocations, and application nodes hear the messages live).
import type { LogoutBus } from './bus.js';
import type { LogoutMessage } from './message.js';

export class RecentLogouts {
  private readonly ring: LogoutMessage[] = [];

  constructor(private readonly size = 50) {}

  add(messages: readonly LogoutMessage[]): void {
    this.ring.push(...messages);
    if (this.ring.length > this.size) this.ring.splice(0, this.ring.length - this.size);
  }

  /** Newest first. */
  latest(limit: number): LogoutMessage[] {
    return this.ring.slice(-limit).reverse();
  }

  /** The bus, remembering what it published once the publish succeeded. */
  recording(bus: LogoutBus): LogoutBus {
    return {
      publish: async (messages, nowMs) => {
        await bus.publish(messages, nowMs);
        this.add(messages);
      },
      publishOnce: async (message, once, nowMs) => {
        const published = await bus.publishOnce(message, once, nowMs);
        if (published) this.add([message]);
        return published;
      },
      isRevoked: (claims) => bus.isRevoked(claims),
      listRevocations: (realmId, limit) => bus.listRevocations(realmId, limit),
      liftRevocation: (realmId, scope) => bus.liftRevocation(realmId, scope),
      close: () => bus.close(),
    };
  }
}
