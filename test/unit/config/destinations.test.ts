// DESTINATIONS entries by type: webhook the default, the broker and database types with their own
// fields, files read at start-up, and every mistake named by its place in the list.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/env.js';

const load = (destinations: unknown[]) =>
  loadConfig({ AUTH_SECRET: 'a-secret-of-16-chars+', DESTINATIONS: JSON.stringify(destinations) }).DESTINATIONS;

function problems(destinations: unknown[]): string {
  try {
    load(destinations);
  } catch (err) {
    return (err as Error).message;
  }
  throw new Error('accepted');
}

describe('DESTINATIONS types', () => {
  it('an entry without a type is a webhook, as before', () => {
    expect(load([{ name: 'hook', url: 'https://h.example/x' }])[0]).toMatchObject({ type: 'webhook', concurrency: 8, maxAttempts: 25 });
  });

  it('amqp, nats and postgres entries get their defaults and the shared delivery settings', () => {
    const [amqp, nats, pg] = load([
      { type: 'amqp', name: 'mq', url: 'amqp://guest:guest@127.0.0.1:5672', exchange: 'keycloak', filter: { kinds: ['admin'] } },
      { type: 'nats', name: 'js', url: 'nats://127.0.0.1:4222' },
      { type: 'postgres', name: 'audit', url: 'postgres://u@127.0.0.1/test', table: 'audit.keycloak_events', batchSize: 500 },
    ]);
    expect(amqp).toMatchObject({
      routingKey: 'keycloak.{kind}.{realmId}.{type}',
      batchSize: 100,
      filter: { kinds: ['admin'] },
      maxAttempts: 25,
    });
    expect(nats).toMatchObject({ subject: 'keycloak', batchSize: 100, concurrency: 8 });
    expect(pg).toMatchObject({ table: 'audit.keycloak_events', batchSize: 500 });
  });

  it('names the entry and field at fault: unknown type, wrong scheme, a field of another type, a bad table name', () => {
    const message = problems([
      { type: 'kafka', name: 'k', url: 'kafka://h' },
      { type: 'amqp', name: 'mq', url: 'http://h', exchange: 'x' },
      { type: 'nats', name: 'js', url: 'nats://h', secret: 'whsec_YQ==' },
      { type: 'postgres', name: 'pg', url: 'postgres://h/db', table: 'Audit; DROP TABLE x' },
      { type: 'nats', name: 'js2', url: 'nats://h', subject: 'keycloak.>' },
    ]);
    expect(message).toMatch(/DESTINATIONS\.0\.type: type must be "webhook" \(the default\), "amqp", "nats" or "postgres"/);
    expect(message).toMatch(/DESTINATIONS\.1\.url: must start with amqp:\/\/ or amqps:\/\//);
    expect(message).toMatch(/DESTINATIONS\.2: Unrecognized key: "secret"/);
    expect(message).toMatch(/DESTINATIONS\.3\.table: table: lower-case identifier/);
    expect(message).toMatch(/DESTINATIONS\.4\.subject:/);
  });

  it('reads passwordFile and tls files at start-up, and names the one it cannot read without echoing a secret', () => {
    const dir = mkdtempSync(join(tmpdir(), 'kcr-dest-'));
    writeFileSync(join(dir, 'pw'), 'file-password\n');
    writeFileSync(join(dir, 'ca.pem'), 'CA PEM');
    const [mq] = load([
      {
        type: 'amqp',
        name: 'mq',
        url: 'amqps://relay@mq.example',
        exchange: 'x',
        passwordFile: join(dir, 'pw'),
        tls: { caFile: join(dir, 'ca.pem') },
      },
    ]);
    expect(mq).toMatchObject({ passwordFile: 'file-password', tls: { ca: 'CA PEM' } });
    const message = problems([
      { type: 'nats', name: 'js', url: 'nats://user:url-secret@h', passwordFile: join(dir, 'absent') },
      { type: 'postgres', name: 'pg', url: 'postgres://h/db', table: 't', tls: { certFile: join(dir, 'ca.pem') } },
    ]);
    expect(message).toMatch(/DESTINATIONS\.0\.passwordFile: cannot read .*absent \(ENOENT\)/);
    expect(message).toMatch(/DESTINATIONS\.1\.tls: certFile and keyFile go together/);
    expect(message).not.toContain('url-secret');
  });
});
