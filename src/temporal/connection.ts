// Thin wrapper so callers get a Client bound to a namespace plus one close() that
// releases the underlying gRPC channel (Client itself has no close).
import { Client, Connection } from '@temporalio/client';

export interface TemporalConnection {
  client: Client;
  connection: Connection;
  close(): Promise<void>;
}

/** `connectTimeoutMs`: how long an address that does not answer is tried (Temporal's default: 10 s). */
export async function connectTemporal(opts: { address: string; namespace: string; connectTimeoutMs?: number }): Promise<TemporalConnection> {
  // connect() (not lazy()) so a wrong address fails here rather than on first use.
  const connection = await Connection.connect({ address: opts.address, ...(opts.connectTimeoutMs !== undefined ? { connectTimeout: opts.connectTimeoutMs } : {}) });
  const client = new Client({ connection, namespace: opts.namespace });
  return { client, connection, close: () => connection.close() };
}

/**
 * A client that connects on first use: for a Temporal unreachable at start (the service
 * serves without it; calls fail until it answers).
 */
export function lazyTemporal(opts: { address: string; namespace: string }): TemporalConnection {
  const connection = Connection.lazy({ address: opts.address });
  const client = new Client({ connection, namespace: opts.namespace });
  return { client, connection, close: () => connection.close() };
}
