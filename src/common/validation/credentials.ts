import { Matches } from 'class-validator';

/**
 * Characters no one types into an address and that make two addresses look the same: controls,
 * format characters (zero-width space, joiners, direction marks), Unicode's default-ignorables
 * and every kind of space. IsEmail lets a zero-width space through in the domain, and the
 * account it made looked like another's.
 */
const NO_INVISIBLE = /^[^\p{Cc}\p{Cf}\p{Z}\p{Default_Ignorable_Code_Point}]*$/u;

/** Beside IsEmail: an address a person can read back. */
export const NoInvisibleCharacters = (field: string): PropertyDecorator =>
  Matches(NO_INVISIBLE, { message: `${field} must not contain spaces or invisible characters` });

/**
 * U+FFFD, the replacement character: what the body's reading made of a character it could not
 * read (half of a surrogate pair, bytes that are not UTF-8). In a password being set it would
 * make every such password the same one (twelve broken characters signed in with any other
 * twelve).
 */
export const NoUnreadableCharacters = (field: string): PropertyDecorator =>
  Matches(/^[^\uFFFD]*$/, {
    message: `${field} has a character that could not be read (U+FFFD: half of a surrogate pair, or bytes that are not UTF-8)`,
  });
