// One target per destination type (target.ts says what a target does).
import type { Destination } from '../destination.js';
import { AmqpTarget } from './amqp.js';
import { NatsTarget } from './nats.js';
import { PostgresTarget } from './postgres.js';
import type { Target } from './target.js';
import { WebhookTarget } from './webhook.js';

export function createTarget(destination: Destination): Target {
  switch (destination.type) {
    case 'webhook':
      return new WebhookTarget(destination);
    case 'amqp':
      return new AmqpTarget(destination);
    case 'nats':
      return new NatsTarget(destination);
    case 'postgres':
      return new PostgresTarget(destination);
  }
}
