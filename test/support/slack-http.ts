// Requests as Slack sends them: signed with the app's signing secret
// (x-slack-signature = v0=HMAC-SHA256(secret, "v0:<ts>:<body>"), x-slack-request-timestamp),
// slash commands and interactions form-encoded, events as JSON.
import { createHmac } from 'node:crypto';

export function slackSignature(secret: string, timestamp: number, body: string): string {
  return `v0=${createHmac('sha256', secret).update(`v0:${timestamp}:${body}`).digest('hex')}`;
}

export interface SignedPost {
  /** Seconds since the epoch; default now. */
  timestamp?: number;
  /** Override the signature (a forged one). */
  signature?: string;
  /** Sign with this secret instead. */
  secret?: string;
}

export interface SlackResponse {
  status: number;
  text: string;
  json: any;
}

export async function postSigned(url: string, secret: string, body: string, contentType: string, opts: SignedPost = {}): Promise<SlackResponse> {
  const timestamp = opts.timestamp ?? Math.floor(Date.now() / 1000);
  const res = await fetch(url, {
    method: 'POST',
    headers: {
      'content-type': contentType,
      'x-slack-request-timestamp': String(timestamp),
      'x-slack-signature': opts.signature ?? slackSignature(opts.secret ?? secret, timestamp, body),
    },
    body,
  });
  const text = await res.text();
  let json: any = null;
  try {
    json = text ? JSON.parse(text) : null;
  } catch {
    json = null;
  }
  return { status: res.status, text, json };
}

export const FORM = 'application/x-www-form-urlencoded';
export const JSON_TYPE = 'application/json';

export const commandBody = (fields: Record<string, string>) => new URLSearchParams(fields).toString();
export const interactionBody = (payload: unknown) => new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
