/** One directive of a Content-Security-Policy header (`script-src 'self'`), or '' if absent. */
export function cspDirective(csp: string, name: string): string {
  return (
    csp
      .split(';')
      .map((d) => d.trim())
      .find((d) => d.startsWith(`${name} `)) ?? ''
  );
}
