import { request } from 'undici';
import { basic } from './payloads.js';
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
