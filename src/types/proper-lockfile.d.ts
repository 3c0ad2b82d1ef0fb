// The part of proper-lockfile (4.x, no bundled types) the gateway's usage spool uses.
declare module 'proper-lockfile' {
  export interface LockOptions {
    /** A lock whose mtime is older than this (ms) is stale and may be taken over. */
    stale?: number;
    /** How often (ms) the holder refreshes the lock's mtime. */
    update?: number;
    retries?: number | { retries?: number; minTimeout?: number; maxTimeout?: number };
    /** Resolve symlinks first (the file must then exist). */
    realpath?: boolean;
    lockfilePath?: string;
    /** Called when the lock could not be refreshed in time (the default throws). */
    onCompromised?: (err: Error) => void;
  }
  export function lock(file: string, options?: LockOptions): Promise<() => Promise<void>>;
  export function check(file: string, options?: Pick<LockOptions, 'stale' | 'realpath' | 'lockfilePath'>): Promise<boolean>;
  const lockfile: { lock: typeof lock; check: typeof check };
  export default lockfile;
}
