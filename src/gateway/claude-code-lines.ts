// The lines a member pastes to point Claude Code at the gateway, the same in the
// console's "Use Claude Code" panel and in chat (/usage key, Teams "key").

/** Shell variables, or the env block of Claude Code's settings.json. */
export function claudeCodeLines(gatewayUrl: string, key: string): { shell: string; settings: string } {
  return {
    shell: `export ANTHROPIC_BASE_URL=${gatewayUrl}\nexport ANTHROPIC_API_KEY=${key}`,
    settings: JSON.stringify({ env: { ANTHROPIC_BASE_URL: gatewayUrl, ANTHROPIC_API_KEY: key } }, null, 2),
  };
}

/** The gateway's address under a service's base address (PUBLIC_URL, or where the console was opened). */
export const gatewayUrlOf = (base: string) => `${base.replace(/\/$/, '')}/anthropic`;
