// How long the HTTP server waits for a client, and how many connections one client may
// hold: a slow or idle client (2,000 slow connections in the security review; Node's
// defaults let idle sockets stay 60-300 s) cannot hold the API's sockets.
import type { Server } from 'node:http';
import type { Socket } from 'node:net';

export interface HttpLimits {
  /** The request line and headers must arrive within this (slow-header clients). */
  headersTimeoutMs: number;
  /** The whole request, body included, must arrive within this. */
  requestTimeoutMs: number;
  /** An idle keep-alive connection is closed after this. */
  keepAliveTimeoutMs: number;
  /** Open connections one client address may hold; more are closed at once. 0: no cap. */
  maxConnectionsPerClient: number;
}

export const DEFAULT_HTTP_LIMITS: HttpLimits = { headersTimeoutMs: 10_000, requestTimeoutMs: 30_000, keepAliveTimeoutMs: 5_000, maxConnectionsPerClient: 256 };

/** Node refuses a headers deadline past the request's: the smaller of the two. */
export const headersTimeoutOf = (l: HttpLimits) => (l.requestTimeoutMs > 0 ? Math.min(l.headersTimeoutMs, l.requestTimeoutMs) : l.headersTimeoutMs);

/**
 * Counts open connections per peer address and closes those past the cap before any
 * byte is read. Behind a proxy the peer is the proxy: its connections count together.
 */
export function capConnectionsPerClient(server: Server, max: number, onRefused?: () => void): void {
  if (max <= 0) return;
  const open = new Map<string, number>();
  server.on('connection', (socket: Socket) => {
    const peer = socket.remoteAddress ?? 'unknown';
    const count = (open.get(peer) ?? 0) + 1;
    if (count > max) {
      onRefused?.();
      socket.destroy();
      return;
    }
    open.set(peer, count);
    socket.once('close', () => {
      const left = (open.get(peer) ?? 1) - 1;
      if (left <= 0) open.delete(peer);
      else open.set(peer, left);
    });
  });
}
