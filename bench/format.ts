// Output helpers shared by the bench scripts: prices in dollars and plain-text tables.

export const usd = (n: number): string => `$${n.toFixed(n < 0.1 && n > 0 ? 4 : 2)}`;

/** Prints a titled table: the first row is the header, the first column left-aligned, the others right-aligned. */
export function table(title: string, rows: (string | number)[][]): void {
  const text = rows.map((r) => r.map(String));
  const widths = text[0].map((_, i) => Math.max(...text.map((r) => (r[i] ?? '').length)));
  const line = (r: string[]): string => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  console.log(`\n${title}\n${line(text[0])}\n${widths.map((w) => '-'.repeat(w)).join('  ')}\n${text.slice(1).map(line).join('\n')}`);
}
