// Bodies as the emitter's Jackson ObjectMapper writes them (null fields included, uid as a bare
// int64), one per historical shape in docs/emitter-formats.md. Uids follow the emitter layout and
// carry the event's own time.

/** emitter-2018 Event: details null, no username. 2018-11-22T09:14:03.512Z, dc 1, kc 3, seq 0. */
export const EVENT_2018 =
  '{"time":1542878043512,"type":"LOGOUT","realmId":"master","clientId":"account","userId":"4c5e5f2d-7a3b-4e1f-9b1c-2d3e4f5a6b7c","sessionId":"9f8e7d6c-5b4a-4321-8fed-cba987654321","ipAddress":"10.20.30.40","error":null,"details":null,"uid":515092590414102528}';

/** emitter-2020 Event: details gained username. 2020-06-03T14:02:11.250Z, dc 0, kc 7, seq 2. */
export const EVENT_2020 =
  '{"time":1591192931250,"type":"LOGIN","realmId":"corp","clientId":"portal","userId":"0b7c0f6e-3d1e-4a8f-8a44-51d1f0d2e9a3","sessionId":"2c5f0a1e-6b7d-4c3e-9f2a-8d1b0e4c7a65","ipAddress":"192.0.2.17","error":null,"details":{"auth_method":"openid-connect","auth_type":"code","redirect_uri":"https://portal.example.com/","consent":"no_consent_required","code_id":"2c5f0a1e-6b7d-4c3e-9f2a-8d1b0e4c7a65","username":"jdoe"},"uid":717739917312229378}';

/** emitter-2020 Event without a user: null details became {}. */
export const EVENT_2020_EMPTY_DETAILS =
  '{"time":1591192931250,"type":"CLIENT_LOGIN_ERROR","realmId":"corp","clientId":"batch","userId":null,"sessionId":null,"ipAddress":"192.0.2.99","error":"invalid_client_credentials","details":{},"uid":717739917312229379}';

/** emitter-2018 AdminEvent: authDetails without username, no details. */
export const ADMIN_2018 =
  '{"time":1542878043512,"realmId":"master","authDetails":{"realmId":"master","clientId":"security-admin-console","userId":"e1d2c3b4-a596-4788-99aa-bbccddeeff00","ipAddress":"10.20.30.41"},"resourceType":"USER","operationType":"ACTION","resourcePath":"users/4c5e5f2d-7a3b-4e1f-9b1c-2d3e4f5a6b7c/logout","representation":null,"error":null,"uid":515092590414102529}';

/** emitter-2020 AdminEvent: extAuthDetails with username, details with the target user. 2022-05-10, dc 2, kc 1. */
export const ADMIN_2020 =
  '{"time":1652171400001,"realmId":"corp","extAuthDetails":{"realmId":"master","clientId":"security-admin-console","userId":"e1d2c3b4-a596-4788-99aa-bbccddeeff00","username":"admin","ipAddress":"10.20.30.41"},"resourceType":"USER","operationType":"UPDATE","resourcePath":"users/0b7c0f6e-3d1e-4a8f-8a44-51d1f0d2e9a3","representation":"{\\"id\\":\\"0b7c0f6e-3d1e-4a8f-8a44-51d1f0d2e9a3\\",\\"username\\":\\"jdoe\\",\\"enabled\\":false}","error":null,"details":{"target_user_id":"0b7c0f6e-3d1e-4a8f-8a44-51d1f0d2e9a3","target_username":"jdoe"},"uid":973502152710324224}';

/** Keycloak 18+: "id": null first. 2024-10-15T12:00:00.123Z, dc 3, kc 31, seq 5. */
export const EVENT_KC18 =
  '{"id":null,"time":1728993600123,"type":"LOGOUT","realmId":"corp","clientId":"portal","userId":"0b7c0f6e-3d1e-4a8f-8a44-51d1f0d2e9a3","sessionId":"2c5f0a1e-6b7d-4c3e-9f2a-8d1b0e4c7a65","ipAddress":"192.0.2.17","error":null,"details":{"redirect_uri":"https://portal.example.com/","username":"jdoe"},"uid":1295717813972860933}';

export const ADMIN_KC18 =
  '{"id":null,"time":1728993600123,"realmId":"corp","extAuthDetails":{"realmId":"master","clientId":"admin-cli","userId":"e1d2c3b4-a596-4788-99aa-bbccddeeff00","username":"admin","ipAddress":"10.20.30.41"},"resourceType":"USER_SESSION","operationType":"DELETE","resourcePath":"sessions/2c5f0a1e-6b7d-4c3e-9f2a-8d1b0e4c7a65","representation":null,"error":null,"details":{},"uid":1295717813972860934}';

/** Keycloak 25+/26: "realmName": null after realmId, also inside extAuthDetails. 2025-03-01T10:00:00Z, dc 0, kc 2, seq 1. */
export const EVENT_KC26 =
  '{"id":null,"time":1740823200000,"type":"DELETE_ACCOUNT","realmId":"corp","realmName":null,"clientId":"account-console","userId":"0b7c0f6e-3d1e-4a8f-8a44-51d1f0d2e9a3","sessionId":"2c5f0a1e-6b7d-4c3e-9f2a-8d1b0e4c7a65","ipAddress":"192.0.2.17","error":null,"details":{"username":"jdoe"},"uid":1345334752051265537}';

export const ADMIN_KC26 =
  '{"id":null,"time":1740823200000,"realmId":"corp","realmName":null,"extAuthDetails":{"realmId":"master","realmName":null,"clientId":"security-admin-console","userId":"e1d2c3b4-a596-4788-99aa-bbccddeeff00","username":"admin","ipAddress":"10.20.30.41"},"resourceType":"REALM","operationType":"ACTION","resourcePath":"logout-all","representation":null,"error":null,"details":{},"uid":1345334752051265538}';

/** Fixed clock for the fixtures above: after every fixture's uid time. */
export const NOW_2025 = Date.parse('2025-03-01T10:00:05.000Z');
