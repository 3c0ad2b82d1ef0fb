#!/usr/bin/env node
// `npm run console:link -- <org slug> <member>`: asks the running service (PORT,
// HOST, DATA_DIR or OPERATOR_TOKEN as for `npm start`) for a single-use sign-in link
// and prints the console address that signs that member in. For the first owner on
// embedded defaults, and for anyone without chat or email (docs/console.md).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const [slug, member] = process.argv.slice(2);
if (!slug || !member) {
  console.error('usage: npm run console:link -- <org slug> <member external id or id>');
  process.exit(2);
}
const host = process.env.HOST && process.env.HOST !== '0.0.0.0' ? process.env.HOST : '127.0.0.1';
const base = `http://${host.includes(':') ? `[${host}]` : host}:${process.env.PORT ?? 3000}`;
let token = process.env.OPERATOR_TOKEN;
if (!token) {
  try {
    token = readFileSync(join(process.env.DATA_DIR ?? './data', 'operator-token'), 'utf8').trim();
  } catch {
    console.error(`no OPERATOR_TOKEN and no ${join(process.env.DATA_DIR ?? './data', 'operator-token')}: start the service first (npm start)`);
    process.exit(1);
  }
}
const res = await fetch(`${base}/v1/operator/orgs/${encodeURIComponent(slug)}/sign-in-links`, {
  method: 'POST',
  headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
  body: JSON.stringify({ member, purpose: 'operator' }),
}).catch((err) => {
  console.error(`cannot reach the service at ${base}: ${err.message}`);
  process.exit(1);
});
const body = await res.json();
if (res.status !== 201) {
  console.error(`${res.status}: ${body?.error?.message ?? JSON.stringify(body)}`);
  process.exit(1);
}
const url = body.url.startsWith('/') ? `${base}${body.url}` : body.url;
console.log(`Open this in your browser within 15 minutes (it works once):\n${url}`);
