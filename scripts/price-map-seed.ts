// Regenerates prisma/price-map/litellm-anthropic.json from the installed (pinned)
// litellm package: `npx tsx scripts/price-map-seed.ts` after bumping litellm in .ci/run.
import { writeFileSync } from 'node:fs';
import { seedMapOf } from '../src/domain/litellm-map.js';
import { SEED_MAP_PATH } from '../src/ledger/metering/seed-prices.js';
import { installedLitellmMap } from './litellm-installed.js';

const installed = installedLitellmMap();
writeFileSync(SEED_MAP_PATH, seedMapOf(installed.text, installed.source));
console.log(`${SEED_MAP_PATH}: from ${installed.source.package} ${installed.source.version} (${installed.path})`);
