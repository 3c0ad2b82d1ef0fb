// Post-redirect-get: a form never answers with a page. When it fails, the page it would
// have shown (errors beside their fields, the summary, what was typed) is kept here for a
// minute and the browser is sent to the page's own address, where it is shown once; so
// the address stays the page and a reload never sends the form again.
// Kept in the database (any instance may serve the GET), keyed by the SHA-256 of a random
// token in an HttpOnly cookie and encrypted with that token: the database alone cannot
// read what someone typed, and the page is only ever shown to the session that posted.
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { ConsoleDeps } from './deps.js';
import { secureCookies, viewerOf } from './session.js';

export const FLASH_COOKIE = 'eu_flash';
const FLASH_TTL_MS = 60_000;

const idOf = (token: Buffer) => createHash('sha256').update(token).digest('hex');

/** Only a path of this console (no query games): what the browser will ask for next. */
const pathOnly = (location: string) => new URL(location, 'http://console.invalid').pathname;

/**
 * Keeps `page` for the session and redirects (303) to `location`, where it is shown
 * once with `status` (a refused form's page keeps its 4xx).
 */
export async function redirectWithPage(deps: ConsoleDeps, request: FastifyRequest, reply: FastifyReply, location: string, page: string, status: number): Promise<FastifyReply> {
  const viewer = await viewerOf(deps, request);
  if (!viewer) return reply.redirect(location, 303);
  const token = randomBytes(32);
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', token, iv);
  const body = Buffer.concat([iv, cipher.update(page, 'utf8'), cipher.final(), cipher.getAuthTag()]);
  const now = deps.now();
  // Pages left unread (a closed tab) go when the next one is kept.
  await deps.db.consoleFlash.deleteMany({ where: { expiresAt: { lt: now } } });
  await deps.db.consoleFlash.create({
    data: { id: idOf(token), sessionId: viewer.sessionId, path: pathOnly(location), status, body, expiresAt: new Date(now.getTime() + FLASH_TTL_MS) },
  });
  reply.setCookie(FLASH_COOKIE, token.toString('base64url'), { path: '/', httpOnly: true, sameSite: 'lax', secure: secureCookies(deps, request), maxAge: FLASH_TTL_MS / 1000 });
  return reply.redirect(location, 303);
}

/**
 * The page kept for this GET, taken once (then forgotten), or null: no cookie, another
 * address, another session, expired.
 */
export async function takePage(deps: ConsoleDeps, request: FastifyRequest, reply: FastifyReply): Promise<{ page: string; status: number } | null> {
  const cookie = request.cookies[FLASH_COOKIE];
  if (!cookie) return null;
  const token = Buffer.from(cookie, 'base64url');
  if (token.length !== 32) {
    reply.clearCookie(FLASH_COOKIE, { path: '/' });
    return null;
  }
  const id = idOf(token);
  const row = await deps.db.consoleFlash.findUnique({ where: { id } });
  if (!row || row.path !== pathOnly(request.url)) return null;
  // Shown once: a reload shows the page as it is.
  await deps.db.consoleFlash.deleteMany({ where: { id } });
  reply.clearCookie(FLASH_COOKIE, { path: '/', httpOnly: true, sameSite: 'lax', secure: secureCookies(deps, request) });
  const viewer = await viewerOf(deps, request);
  if (!viewer || viewer.sessionId !== row.sessionId || row.expiresAt <= deps.now()) return null;
  try {
    const data = Buffer.from(row.body);
    const decipher = createDecipheriv('aes-256-gcm', token, data.subarray(0, 12));
    decipher.setAuthTag(data.subarray(data.length - 16));
    const page = Buffer.concat([decipher.update(data.subarray(12, data.length - 16)), decipher.final()]).toString('utf8');
    return { page, status: row.status };
  } catch {
    return null;
  }
}
