// ROLE: one entry point, four shapes. Split roles share one database and one Temporal,
// so they refuse to start on the embedded defaults.
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.js';
import { partsOf } from '../../src/service.js';

describe('ROLE', () => {
  it('defaults to all: everything in one process', () => {
    expect(loadConfig({}).ROLE).toBe('all');
    expect(partsOf('all')).toEqual({ api: true, worker: true, chat: true });
  });

  it('each split role runs its part only', () => {
    expect(partsOf('api')).toEqual({ api: true, worker: false, chat: false });
    expect(partsOf('worker')).toEqual({ api: false, worker: true, chat: false });
    expect(partsOf('chat')).toEqual({ api: false, worker: false, chat: true });
  });

  it('an unknown role stops the start with a message naming ROLE', () => {
    expect(() => loadConfig({ ROLE: 'web' })).toThrow(ConfigError);
    expect(() => loadConfig({ ROLE: 'web' })).toThrow(/ROLE: must be one of all, api, worker, chat/);
  });

  it('a split role needs the shared database and Temporal', () => {
    expect(() => loadConfig({ ROLE: 'api' })).toThrow(/DATABASE_URL: required when ROLE=api[\s\S]*TEMPORAL_ADDRESS: required when ROLE=api/);
    expect(() => loadConfig({ ROLE: 'worker', DATABASE_URL: 'postgresql://x@db/eu' })).toThrow(/TEMPORAL_ADDRESS: required when ROLE=worker/);
    expect(loadConfig({ ROLE: 'worker', DATABASE_URL: 'postgresql://x@db/eu', TEMPORAL_ADDRESS: 'temporal:7233' }).ROLE).toBe('worker');
  });

  it('CACHE_SYNC_MS is bounded', () => {
    expect(loadConfig({}).CACHE_SYNC_MS).toBe(1_000);
    expect(() => loadConfig({ CACHE_SYNC_MS: '5' })).toThrow(/CACHE_SYNC_MS/);
  });
});
