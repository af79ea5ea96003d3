import { request } from 'undici';
import { expect } from 'vitest';
import { basic, freshUid, loginEventJson } from './payloads.js';
import { NODE, SECRET } from './relay.js';

export interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  json: any;
}

/** POSTs a body to a relay's ingest endpoint as the emitter would. */
export async function postEvent(baseUrl: string, body: string | Buffer, headers: Record<string, string> = {}): Promise<Answer> {
  const res = await request(`${baseUrl}/events`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: basic(NODE, SECRET), ...headers },
    body,
  });
  const text = await res.body.text();
  return { status: res.statusCode, headers: res.headers, json: text ? JSON.parse(text) : null };
}

/** Posts `n` events with fresh uids (`body` makes each one's JSON) and expects each accepted; their uids. */
export async function postAccepted(baseUrl: string, n: number, body: (uid: string) => string = loginEventJson): Promise<string[]> {
  const uids: string[] = [];
  for (let i = 0; i < n; i++) {
    const uid = freshUid();
    expect((await postEvent(baseUrl, body(uid))).json.status).toBe('accepted');
    uids.push(uid);
  }
  return uids;
}
