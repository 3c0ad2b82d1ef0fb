// CSV as RFC 4180 says (comma-separated, CRLF line ends, a field holding a comma, quote
// or line break quoted with its quotes doubled): a dozen lines, so no library.
// Text a spreadsheet would run as a formula (a member named "=HYPERLINK(…)") gets a
// leading apostrophe; amounts are passed as numbers-as-text and are never touched.

export type CsvCell = string | number | bigint | null | undefined;

/** A cell of free text (names, descriptions): guarded against formula injection. */
export const textCell = (s: string | null | undefined) => (s && /^(\s*[=+\-@]|[\t\r])/.test(s) ? `'${s}` : (s ?? ''));

function field(cell: CsvCell): string {
  const s = cell === null || cell === undefined ? '' : String(cell);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function toCsv(rows: readonly (readonly CsvCell[])[]): string {
  return rows.map((row) => row.map(field).join(',')).join('\r\n') + '\r\n';
}
