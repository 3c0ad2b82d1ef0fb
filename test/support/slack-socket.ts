// A local stand-in for Slack's Socket Mode endpoint: the WebSocket server that
// apps.connections.open points the app at. It greets with "hello", delivers
// envelopes (slash commands, interactions, events) and records the app's acks.
// A minimal RFC 6455 server: text frames, close and ping; no extensions.
import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';

export interface SocketStandIn {
  url: string;
  /** Messages the app sent (acks: {envelope_id, payload?}). */
  received: any[];
  connected(): Promise<void>;
  send(envelope: Record<string, unknown>): void;
  waitForAck(envelopeId: string, timeoutMs?: number): Promise<any>;
  close(): Promise<void>;
}

const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';

function frame(opcode: number, payload: Buffer): Buffer {
  const len = payload.length;
  const head = len < 126 ? Buffer.from([0x80 | opcode, len]) : len < 65536 ? Buffer.from([0x80 | opcode, 126, len >> 8, len & 255]) : (() => {
    const b = Buffer.alloc(10);
    b[0] = 0x80 | opcode;
    b[1] = 127;
    b.writeBigUInt64BE(BigInt(len), 2);
    return b;
  })();
  return Buffer.concat([head, payload]);
}

export async function startSlackSocket(appId = 'A_APP'): Promise<SocketStandIn> {
  const received: any[] = [];
  const sockets = new Set<Duplex>();
  let onConnect: (() => void) | null = null;
  const connectedOnce = new Promise<void>((r) => (onConnect = r));

  const server: Server = createServer((_req, res) => {
    res.writeHead(426);
    res.end();
  });
  server.on('upgrade', (req, socket) => {
    const key = String(req.headers['sec-websocket-key'] ?? '');
    const accept = createHash('sha1').update(key + GUID).digest('base64');
    socket.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`);
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => sockets.delete(socket));
    let buffer = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      buffer = Buffer.concat([buffer, chunk]);
      for (;;) {
        if (buffer.length < 2) return;
        const opcode = buffer[0]! & 0x0f;
        const masked = (buffer[1]! & 0x80) !== 0;
        let len = buffer[1]! & 0x7f;
        let offset = 2;
        if (len === 126) {
          if (buffer.length < 4) return;
          len = buffer.readUInt16BE(2);
          offset = 4;
        } else if (len === 127) {
          if (buffer.length < 10) return;
          len = Number(buffer.readBigUInt64BE(2));
          offset = 10;
        }
        const maskAt = offset;
        if (masked) offset += 4;
        if (buffer.length < offset + len) return;
        const payload = Buffer.from(buffer.subarray(offset, offset + len));
        if (masked) for (let i = 0; i < payload.length; i++) payload[i]! ^= buffer[maskAt + (i % 4)]!;
        buffer = buffer.subarray(offset + len);
        if (opcode === 1) received.push(JSON.parse(payload.toString('utf8')));
        else if (opcode === 8) {
          socket.end(frame(8, Buffer.alloc(0)));
          return;
        } else if (opcode === 9) socket.write(frame(10, payload));
      }
    });
    socket.write(frame(1, Buffer.from(JSON.stringify({ type: 'hello', num_connections: 1, debug_info: { host: 'applink-test', build_number: 1, approximate_connection_time: 18060 }, connection_info: { app_id: appId } }))));
    onConnect?.();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `ws://127.0.0.1:${(server.address() as AddressInfo).port}/link`;

  return {
    url,
    received,
    connected: () => connectedOnce,
    send(envelope) {
      for (const s of sockets) s.write(frame(1, Buffer.from(JSON.stringify(envelope))));
    },
    async waitForAck(envelopeId, timeoutMs = 10_000) {
      const until = Date.now() + timeoutMs;
      for (;;) {
        const ack = received.find((m) => m.envelope_id === envelopeId);
        if (ack) return ack;
        if (Date.now() > until) throw new Error(`no ack for envelope ${envelopeId}; received ${JSON.stringify(received)}`);
        await new Promise((r) => setTimeout(r, 25));
      }
    },
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
