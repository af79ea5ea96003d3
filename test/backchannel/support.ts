// Posting logout tokens to a relay as Keycloak does (form-encoded `logout_token`), and reading its answer.
import { request } from 'undici';

export interface BackchannelAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  json: { error: string; error_description: string; code: string } | null;
}

export async function postLogoutToken(
  baseUrl: string,
  token: string | null,
  options: { contentType?: string; body?: string } = {},
): Promise<BackchannelAnswer> {
  const res = await request(`${baseUrl}/backchannel-logout`, {
    method: 'POST',
    headers: { 'content-type': options.contentType ?? 'application/x-www-form-urlencoded' },
    body: options.body ?? (token === null ? '' : new URLSearchParams({ logout_token: token }).toString()),
  });
  const body = await res.body.text();
  return { status: res.statusCode, headers: res.headers, body, json: body.startsWith('{') ? JSON.parse(body) : null };
}
