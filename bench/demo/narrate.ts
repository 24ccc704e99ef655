/**
 * The demo's voice: short lines stamped with the time since the demo started, and one
 * progress line while tickets are worked (rewritten in place on a terminal, printed every few
 * seconds otherwise so logs and CI output stay readable).
 */
const startedAt = Date.now();
const interactive = Boolean(process.stdout.isTTY);
let progressShown = false;
let lastProgressPrint = 0;

export const elapsedMs = () => Date.now() - startedAt;

export function stamp(ms = elapsedMs()): string {
  // Whole tenths first, so 59.97 s reads 01:00.0 and never 00:60.0.
  const tenths = Math.round(Math.max(0, ms) / 100);
  const minutes = Math.floor(tenths / 600);
  const seconds = ((tenths % 600) / 10).toFixed(1).padStart(4, '0');
  return `${String(minutes).padStart(2, '0')}:${seconds}`;
}

function clearProgress(): void {
  if (interactive && progressShown) process.stdout.write('\r\x1b[2K');
  progressShown = false;
}

/** One line of the story. */
export function say(message: string): void {
  clearProgress();
  console.log(`[${stamp()}] ${message}`);
}

/** A chapter heading, so the day reads in parts. */
export function chapter(title: string): void {
  clearProgress();
  console.log(`\n[${stamp()}] == ${title} ==`);
}

/** Detail under the previous line (no timestamp). */
export function detail(message: string): void {
  clearProgress();
  console.log(`           ${message}`);
}

/** The live progress line; `everyMs` throttles it when stdout is not a terminal. */
export function progress(message: string, everyMs = 5000): void {
  if (interactive) {
    process.stdout.write(`\r\x1b[2K[${stamp()}] ${message}`);
    progressShown = true;
    return;
  }
  if (Date.now() - lastProgressPrint < everyMs) return;
  lastProgressPrint = Date.now();
  console.log(`[${stamp()}] ${message}`);
}

export function endProgress(): void {
  clearProgress();
  lastProgressPrint = 0;
}

export function money(minor: number, currency = 'EUR'): string {
  const symbol = currency === 'EUR' ? '€' : `${currency} `;
  const sign = minor < 0 ? '-' : '';
  return `${sign}${symbol}${(Math.abs(minor) / 100).toFixed(2)}`;
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, Math.max(0, ms)));

/** "Brightpay's", "Northwind Outfitters'". */
export const possessive = (name: string) => (name.endsWith('s') ? `${name}'` : `${name}'s`);
