// The decode settings of each sender (Basic-auth username): NODE_SETTINGS where the node has an
// entry, field by field, else the global FLATBUFFERS_SCHEMA / KEYCLOAK_VERSION / BODY_CHARSET; an
// unset Keycloak version falls back to the one the node's build shipped for. Resolved once at
// start-up, so a request only looks its node up.
import type { SchemaProfile } from '../event/canonical.js';
import type { BodyCharset } from './charset.js';
import type { FlatBufferSettings } from './flatbuffer/decode-flatbuffer.js';
import { defaultKeycloak } from './flatbuffer/profiles.js';
import type { KeycloakEnums } from './keycloak/keycloak-versions.js';

export interface DecodeSettings extends FlatBufferSettings {
  bodyCharset: BodyCharset;
  /** true when no KEYCLOAK_VERSION applies to the node: its build's default names the bytes. */
  keycloakDefaulted: boolean;
}

interface Choice {
  flatbuffersSchema?: SchemaProfile | undefined;
  keycloakVersion?: KeycloakEnums | undefined;
  bodyCharset?: BodyCharset | undefined;
}

export interface SenderSettingsInput {
  FLATBUFFERS_SCHEMA: SchemaProfile;
  KEYCLOAK_VERSION?: KeycloakEnums | undefined;
  BODY_CHARSET: BodyCharset;
  NODE_SETTINGS: Readonly<Record<string, Choice>>;
}

function resolve(global: SenderSettingsInput, own: Choice): DecodeSettings {
  const profile = own.flatbuffersSchema ?? global.FLATBUFFERS_SCHEMA;
  const chosen = own.keycloakVersion ?? global.KEYCLOAK_VERSION;
  const keycloak = chosen ?? defaultKeycloak(profile);
  return Object.freeze({ profile, keycloak, bodyCharset: own.bodyCharset ?? global.BODY_CHARSET, keycloakDefaulted: chosen === undefined });
}

export class SenderSettings {
  private readonly fallback: DecodeSettings;
  private readonly byNode: ReadonlyMap<string, DecodeSettings>;

  constructor(input: SenderSettingsInput) {
    this.fallback = resolve(input, {});
    this.byNode = new Map(Object.entries(input.NODE_SETTINGS).map(([node, own]) => [node, resolve(input, own)]));
  }

  for(node: string): DecodeSettings {
    return this.byNode.get(node) ?? this.fallback;
  }

  /** For the start-up log: what decodes whose bodies. */
  describe(): Record<string, string> {
    const line = (s: DecodeSettings) =>
      `${s.profile} tables, Keycloak ${s.keycloak.release} enums${s.keycloakDefaulted ? ' (default of the build: set KEYCLOAK_VERSION)' : ''}, ${s.bodyCharset} charset`;
    return Object.fromEntries([['*', line(this.fallback)], ...[...this.byNode].map(([node, s]): [string, string] => [node, line(s)])]);
  }
}
