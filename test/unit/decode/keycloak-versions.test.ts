import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/env.js';
import { KNOWN_KEYCLOAK_RELEASES, resolveKeycloakVersion } from '../../../src/decode/keycloak/keycloak-versions.js';
import { SenderSettings } from '../../../src/decode/sender-settings.js';

const release = (text: string) => resolveKeycloakVersion(text)?.release ?? null;

describe('resolveKeycloakVersion', () => {
  it('takes a known release as it is, with or without .Final', () => {
    expect(release('8.0.1')).toBe('8.0.1');
    expect(release('4.8.3.Final')).toBe('4.8.3');
    expect(release(' 20.0.5 ')).toBe('20.0.5');
  });

  it('takes a major, or an unlisted release of a known major, as the newest known release of it', () => {
    expect(release('20')).toBe('20.0.5');
    expect(release('20.0.3')).toBe('20.0.5');
    expect(release('26')).toBe('26.2.4');
    expect(release('26.0.8')).toBe('26.0.8');
    expect(release('08')).toBe('8.0.1');
  });

  it('refuses majors whose lists are not known, and anything that is not a version', () => {
    for (const text of ['7', '13.0.0', '19', '27', '', 'latest', '8.x', '8.0.1-SNAPSHOT', '1.2.3.4'])
      expect(release(text), text).toBeNull();
  });

  it('knows every release it lists, with lists that only ever grew at the end or were inserted into', () => {
    for (const r of KNOWN_KEYCLOAK_RELEASES) {
      const enums = resolveKeycloakVersion(r)!;
      expect(enums.release).toBe(r);
      expect(enums.eventTypes.slice(0, 5)).toEqual(['LOGIN', 'LOGIN_ERROR', 'REGISTER', 'REGISTER_ERROR', 'LOGOUT']);
      expect(enums.operationTypes).toEqual(['CREATE', 'UPDATE', 'DELETE', 'ACTION']);
      expect(enums.resourceTypes[0]).toBe('REALM');
      expect(new Set(enums.eventTypes).size).toBe(enums.eventTypes.length);
    }
  });
});

describe('KEYCLOAK_VERSION and NODE_SETTINGS at start-up', () => {
  it('refuse an unknown Keycloak version, naming the variable and the known versions', () => {
    expect(() => loadConfig({ AUTH_SECRET: 'a-secret-of-16-chars', KEYCLOAK_VERSION: '19' })).toThrow(
      /KEYCLOAK_VERSION: "19" is not a Keycloak version whose enum lists the relay knows; give a major \(3, 4, 6, 8, .*26\) or a release \(3\.4\.3, .*26\.2\.4\)/,
    );
  });

  it('refuse a bad node entry, naming the node and the field', () => {
    expect(() => loadConfig({ AUTH_SECRET: 'a-secret-of-16-chars', NODE_SETTINGS: '{"kc-a":{"keycloakVersion":"7"}}' })).toThrow(
      /NODE_SETTINGS\.kc-a\.keycloakVersion: "7" is not/,
    );
    expect(() =>
      loadConfig({ AUTH_SECRET: 'a-secret-of-16-chars', NODE_SETTINGS: '{"kc-a":{"flatbuffersSchema":"emitter-2019"}}' }),
    ).toThrow(/NODE_SETTINGS\.kc-a\.flatbuffersSchema/);
    expect(() => loadConfig({ AUTH_SECRET: 'a-secret-of-16-chars', NODE_SETTINGS: '{"kc-a":{"schema":"emitter-2020"}}' })).toThrow(
      /NODE_SETTINGS\.kc-a/,
    );
    expect(() => loadConfig({ AUTH_SECRET: 'a-secret-of-16-chars', NODE_SETTINGS: '[' })).toThrow(
      /NODE_SETTINGS: NODE_SETTINGS must be a JSON object/,
    );
  });
});

describe('SenderSettings', () => {
  const settings = (env: Record<string, string>) => new SenderSettings(loadConfig({ AUTH_SECRET: 'a-secret-of-16-chars', ...env }));

  it('defaults to the Keycloak release the configured build shipped for, saying so', () => {
    const s = settings({ FLATBUFFERS_SCHEMA: 'emitter-2024-10' }).for('any-node');
    expect([s.profile, s.keycloak.release, s.bodyCharset, s.keycloakDefaulted]).toEqual(['emitter-2024-10', '20.0.5', 'auto', true]);
  });

  it('gives a node its own entry field by field, the global value otherwise', () => {
    const s = settings({
      FLATBUFFERS_SCHEMA: 'emitter-2020',
      KEYCLOAK_VERSION: '8',
      BODY_CHARSET: 'latin1',
      NODE_SETTINGS: JSON.stringify({
        'kc-new': { flatbuffersSchema: 'emitter-2024-11', keycloakVersion: '20' },
        'kc-utf8': { bodyCharset: 'utf-8' },
      }),
    });
    const view = (node: string) => {
      const x = s.for(node);
      return [x.profile, x.keycloak.release, x.bodyCharset, x.keycloakDefaulted];
    };
    expect(view('kc-old')).toEqual(['emitter-2020', '8.0.1', 'latin1', false]);
    expect(view('kc-new')).toEqual(['emitter-2024-11', '20.0.5', 'latin1', false]);
    expect(view('kc-utf8')).toEqual(['emitter-2020', '8.0.1', 'utf-8', false]);
  });

  it("falls back to the node's own build default when no Keycloak version is set anywhere", () => {
    const s = settings({ NODE_SETTINGS: '{"kc-26":{"flatbuffersSchema":"emitter-kc26"}}' });
    expect(s.for('kc-26').keycloak.release).toBe('26.2.4');
    expect(s.for('kc-26').keycloakDefaulted).toBe(true);
    expect(s.describe()).toEqual({
      '*': 'emitter-2018 tables, Keycloak 8.0.1 enums (default of the build: set KEYCLOAK_VERSION), auto charset',
      'kc-26': 'emitter-kc26 tables, Keycloak 26.2.4 enums (default of the build: set KEYCLOAK_VERSION), auto charset',
    });
  });
});
