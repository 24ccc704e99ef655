/** "1 line", "3 lines": a count with its noun (a regular plural). */
export const count = (n: number, what: string): string => `${n} ${what}${n === 1 ? '' : 's'}`;
