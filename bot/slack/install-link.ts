// Prints the signed link that installs the Slack app for one org (OAuth mode); it
// works for 7 days and completes one install:
//   npx tsx bot/slack/install-link.ts acme
// Needs the same SLACK_STATE_SECRET as the service, and PUBLIC_URL (where Slack and
// browsers reach /slack/install).
import { loadConfig } from '../../src/config.js';
import { installLink } from './workspaces.js';

const slug = process.argv[2];
const config = loadConfig();
if (!slug || !config.SLACK_STATE_SECRET) {
  console.error('usage: SLACK_STATE_SECRET=… PUBLIC_URL=https://usage.example.com npx tsx bot/slack/install-link.ts <org-slug>');
  process.exit(2);
}
console.log(installLink(config.PUBLIC_URL ?? `http://${config.HOST}:${config.SLACK_PORT}`, config.SLACK_STATE_SECRET, slug));
