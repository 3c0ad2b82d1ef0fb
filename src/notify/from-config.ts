// The notifier the service runs with: the log always, plus each channel configured.
import type { Config } from '../config.js';
import { fanout } from './fanout.js';
import { logNotifier } from './log.js';
import type { Notifier } from './port.js';

export function buildNotifier(_config: Config, log: (line: string) => void, extra: Notifier[] = []): Notifier {
  return fanout([logNotifier(log), ...extra]);
}
