// The model map of the litellm package pip installed (the version .ci/run pins).
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const FILES = ['model_prices_and_context_window.json', 'model_prices_and_context_window_backup.json'];

export function installedLitellmMap(python = process.env.PYTHON ?? 'python3') {
  const py = (code: string) => execFileSync(python, ['-c', code], { encoding: 'utf8', env: { ...process.env, LITELLM_LOCAL_MODEL_COST_MAP: 'True' } }).trim();
  // The package's directory without importing it (an import fetches the map from the internet).
  const dir = py('import importlib.util, os; print(os.path.dirname(importlib.util.find_spec("litellm").origin))');
  const version = py('import importlib.metadata as m; print(m.version("litellm"))');
  const file = FILES.find((f) => existsSync(join(dir, f)));
  if (!file) throw new Error(`no model map (${FILES.join(' or ')}) in ${dir}`);
  const path = join(dir, file);
  return { path, text: readFileSync(path, 'utf8'), source: { package: 'litellm', version, file } };
}
