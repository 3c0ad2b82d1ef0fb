// LiteLLM model maps for tests: the real one of the pinned package, with one rate changed.

/** The map with one rate of one entry changed (the text, as an operator's newer map would be). */
export function withRate(text: string, id: string, key: string, value: string): string {
  const start = text.indexOf(`"${id}": {`);
  const end = text.indexOf('}', text.indexOf(`"${key}":`, start));
  const entry = text.slice(start, end);
  const changed = entry.replace(new RegExp(`"${key}": [^,\\n]+`), `"${key}": ${value}`);
  if (changed === entry) throw new Error(`no ${key} in ${id}`);
  return text.slice(0, start) + changed + text.slice(end);
}
