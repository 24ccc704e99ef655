/**
 * A thing in a status, said at the start of an error's sentence: "An executing run", "An
 * approved adjustment", "A paid invoice", "An in-flight line" (a status's underscore read as a
 * hyphen). The bare "A ${status}" wrote "A executing run".
 */
export function inState(status: string, noun: string): string {
  const word = status.replaceAll('_', '-');
  return `${/^[aeiou]/.test(word) ? 'An' : 'A'} ${word} ${noun}`;
}
