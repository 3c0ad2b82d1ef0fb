// docker-compose.yml and the Dockerfile, checked without Docker: the compose file is
// resolved by the docker-compose tool (.ci/run installs it) with only the required
// setting given, and every service process it describes must load its settings the
// way the service does; images are pinned and follow Temporal's current layout.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { configSchema, loadConfig } from '../../src/config.js';

const root = join(import.meta.dirname, '..', '..');
const composeFile = join(root, 'docker-compose.yml');
const emptyEnvFile = join(mkdtempSync(join(tmpdir(), 'compose-')), 'empty.env');
writeFileSync(emptyEnvFile, '');

interface Service {
  image?: string;
  build?: unknown;
  environment?: Record<string, string | number | null>;
  depends_on?: Record<string, { condition: string }> | string[];
  ports?: (string | { target: number; published?: string | number })[];
  deploy?: { replicas?: number };
  command?: string[] | string;
  healthcheck?: unknown;
}

/** The compose file as docker-compose resolves it (variables substituted, anchors merged). */
function resolved(env: Record<string, string>) {
  return spawnSync('docker-compose', ['--env-file', emptyEnvFile, '-f', composeFile, 'config'], {
    cwd: root, encoding: 'utf8', env: { PATH: process.env.PATH, ...env },
  });
}

describe('docker-compose.yml', () => {
  const run = resolved({ OPERATOR_TOKEN: 'a-long-operator-token-0123456789' });
  const services = (run.status === 0 ? parse(run.stdout).services : {}) as Record<string, Service>;

  it('is valid for docker-compose with only OPERATOR_TOKEN set', () => {
    expect(run.stderr).not.toMatch(/ERROR/);
    expect(run.status).toBe(0);
  });

  it('refuses to start without OPERATOR_TOKEN, and says so', () => {
    const missing = resolved({});
    expect(missing.status).not.toBe(0);
    expect(missing.stderr).toMatch(/OPERATOR_TOKEN/);
  });

  it('runs the service image by role: 2 API processes, 1 worker, 1 chat receiver, each with settings the service accepts', () => {
    const ours = Object.entries(services).filter(([, s]) => s.build);
    expect(Object.fromEntries(ours.map(([name, s]) => [name, [s.environment?.ROLE, s.deploy?.replicas ?? 1]]))).toEqual({
      api: ['api', 2], worker: ['worker', 1], chat: ['chat', 1],
    });
    const known = new Set(Object.keys(configSchema.shape));
    for (const [name, s] of ours) {
      const env = Object.fromEntries(Object.entries(s.environment ?? {}).map(([k, v]) => [k, v === null ? '' : String(v)]));
      expect(Object.keys(env).filter((k) => !known.has(k)), `${name}: variables the service does not read`).toEqual([]);
      const config = loadConfig(env);
      expect(config.ROLE).toBe(name);
      expect(config.DATABASE_URL).toMatch(/@postgres:5432\//);
      expect(config.TEMPORAL_ADDRESS).toBe('temporal:7233');
      // Every service process waits for the database and for Temporal's namespace.
      expect(s.depends_on).toMatchObject({ postgres: { condition: 'service_healthy' }, 'temporal-namespace': { condition: 'service_completed_successfully' } });
    }
    // Published ports lead to the ports the processes listen on.
    const target = (s: Service) => (s.ports ?? []).map((p) => (typeof p === 'string' ? p.split(':').at(-1) : String(p.target)));
    expect(target(services.api!)).toEqual([String(loadConfig({ PORT: String(services.api!.environment!.PORT) }).PORT)]);
    expect(target(services.chat!).sort()).toEqual([String(services.chat!.environment!.SLACK_PORT), String(services.chat!.environment!.TEAMS_PORT)].sort());
  });

  it('follows Temporal\'s current layout: schema by admin-tools, the server image, a namespace, pinned images', () => {
    const images = Object.values(services).map((s) => s.image).filter((i): i is string => !!i && !i.startsWith('extra-usage'));
    for (const image of images) expect(image).toMatch(/^[a-z0-9./-]+:\d[\w.-]*$/);
    expect(images.some((i) => i.includes('auto-setup'))).toBe(false);
    expect(services.temporal!.image).toMatch(/^temporalio\/server:/);
    expect(String(services['temporal-schema']!.command)).toMatch(/temporal-sql-tool --db temporal_visibility update-schema/);
    expect(String(services['temporal-namespace']!.command)).toMatch(/temporal operator namespace create --namespace default/);
    expect(services.temporal!.depends_on).toMatchObject({ 'temporal-schema': { condition: 'service_completed_successfully' } });
    expect(services.postgres!.healthcheck).toBeDefined();
  });

  it('names in .env.example every variable it reads', () => {
    const used = new Set([...readFileSync(composeFile, 'utf8').matchAll(/\$\{([A-Z_][A-Z0-9_]*)/g)].map((m) => m[1]));
    const example = new Set(readFileSync(join(root, '.env.example'), 'utf8').split('\n').map((l) => l.match(/^([A-Z_][A-Z0-9_]*)=/)?.[1]).filter(Boolean));
    expect([...used].filter((v) => !example.has(v))).toEqual([]);
  });
});

describe('Dockerfile', () => {
  const text = readFileSync(join(root, 'Dockerfile'), 'utf8');
  const finalStage = text.slice(text.lastIndexOf('\nFROM '));

  it('runs the compiled service with production dependencies only, as a non-root user, with a health check', () => {
    expect(text).toMatch(/RUN npm run build/);
    expect(finalStage).toMatch(/npm ci --omit=dev/);
    expect(finalStage).toMatch(/COPY --from=build \/app\/dist \.\/dist/);
    expect(finalStage).toMatch(/^USER node$/m);
    expect(finalStage).toMatch(/^HEALTHCHECK .*\n?.*\/health/m);
    expect(finalStage).toMatch(/^CMD \["node", "dist\/src\/main\.js"\]$/m);
    expect(finalStage).not.toMatch(/tsx/);
  });

  it('copies only files that exist into the image', () => {
    const sources = [...text.matchAll(/^COPY (?!--from)(.+) \S+$/gm)].flatMap((m) => m[1]!.split(/\s+/));
    expect(sources.length).toBeGreaterThan(5);
    const listed = execFileSync('git', ['ls-files', ...sources], { cwd: root, encoding: 'utf8' });
    for (const s of sources) expect(listed, s).toContain(s.replace(/\/$/, ''));
  });
});
