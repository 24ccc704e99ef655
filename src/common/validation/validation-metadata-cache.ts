import { getMetadataStorage } from 'class-validator';

type Lookup = ReturnType<typeof getMetadataStorage>['getTargetValidationMetadatas'];
type Rules = ReturnType<Lookup>;

const MEMOIZED = Symbol.for('handoff.validation-metadata-memoized');

/**
 * Memoizes class-validator's lookup of a class's rules. On every object it validates (about
 * seven per escalation body), class-validator finds the class's ancestors by testing
 * `instanceof` against every class it knows (typestack/class-validator#2686, open); memoized,
 * an escalation cost 0.02-0.05 ms less API CPU in bench:intake and the scan left the profile. A class's rules, its own and inherited, are all
 * registered when the class is defined, before an instance of it can be validated (a parent is
 * defined before its children), and none changes afterwards: a class defined later adds only its
 * own. So one answer per class and option set holds for the life of the process.
 *
 * The lookup's callers only read the array it returns; it is frozen to keep it that way.
 */
export function memoizeValidationMetadata(): void {
  const storage = getMetadataStorage() as ReturnType<typeof getMetadataStorage> & {
    [MEMOIZED]?: true;
  };
  if (storage[MEMOIZED]) return;
  const lookup: Lookup = storage.getTargetValidationMetadatas.bind(storage);
  const cache = new WeakMap<object, Map<string, Rules>>();
  storage.getTargetValidationMetadatas = (target, schema, always, strictGroups, groups) => {
    const options = `${schema}\u0000${always}\u0000${strictGroups}\u0000${groups?.join('\u0000') ?? ''}`;
    let byOptions = cache.get(target);
    if (byOptions === undefined) cache.set(target, (byOptions = new Map()));
    let rules = byOptions.get(options);
    if (rules === undefined) {
      rules = Object.freeze(lookup(target, schema, always, strictGroups, groups)) as Rules;
      byOptions.set(options, rules);
    }
    return rules;
  };
  storage[MEMOIZED] = true;
}
