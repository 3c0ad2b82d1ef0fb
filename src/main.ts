// `npm start`: runs the service on embedded defaults unless the environment says otherwise.
import { ConfigError, loadConfig } from './config.js';
import { checkConfig } from './config-check.js';

async function main() {
  const config = loadConfig();
  // Every setting first, before the service's (heavy) modules load: a bad one stops us at once.
  checkConfig(config);
  const { startService } = await import('./service.js');
  const { createLogging, logFormatOf } = await import('./observability/logging.js');
  // One format for this process: our lines and the API's request logs (docs/operations.md).
  const logging = createLogging(logFormatOf(config.LOG_FORMAT, process.stdout.isTTY));
  const log = logging.line;
  const service = await startService(config, log, logging);
  // The address ends at a space, also inside a JSON line: scripts read it with /listening on (\S+)/.
  log(`extra-usage control plane listening on ${service.url} (ROLE=${service.role})`);
  log(`  health:   ${service.url}/health`);
  if (service.role === 'all' || service.role === 'api') log(`  api docs: ${service.url}/openapi.json`);
  if (service.role === 'all' || service.role === 'api') log(`  console:  ${service.url}/  (sign in: npm run console:link -- <org slug> <member>, docs/console.md)`);
  if (service.temporal.uiUrl) log(`  temporal: ${service.temporal.uiUrl}`);
  log(`  operator token: ${config.OPERATOR_TOKEN ? '(from OPERATOR_TOKEN)' : `${service.operatorToken} (kept in ${config.DATA_DIR}/operator-token)`}`);
  let stopping = false;
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => {
      if (stopping) return;
      stopping = true;
      log(`${signal}: stopping`);
      service.stop().then(() => process.exit(0), () => process.exit(1));
    });
  }
}

main().catch((err) => {
  console.error(err instanceof ConfigError ? err.message : err);
  process.exit(1);
});
