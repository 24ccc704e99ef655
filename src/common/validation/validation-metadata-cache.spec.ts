import { getMetadataStorage, IsInt, IsString, Min, validateSync } from 'class-validator';
import { memoizeValidationMetadata } from './validation-metadata-cache';

class Parent {
  @IsString()
  name!: string;
}

class Child extends Parent {
  @IsInt()
  @Min(1, { groups: ['strict'] })
  seats!: number;
}

describe('memoized class-validator rules', () => {
  const storage = getMetadataStorage();
  const rules = (target: new () => object, groups?: string[], strictGroups = false) =>
    storage.getTargetValidationMetadatas(target, '', false, strictGroups, groups);
  const shape = (target: new () => object, groups?: string[], strictGroups = false) =>
    rules(target, groups, strictGroups)
      .map((m) => `${m.propertyName}:${m.name ?? m.type}`)
      .sort();

  it('answers as class-validator does, own and inherited rules, per group', () => {
    const all = () => ({
      child: shape(Child),
      ungrouped: shape(Child, undefined, true),
      strict: shape(Child, ['strict']),
      parent: shape(Parent),
    });
    const before = all();
    memoizeValidationMetadata();
    memoizeValidationMetadata(); // a second app in the same process wraps nothing twice
    expect(all()).toEqual(before);
    expect(before).toEqual({
      child: ['name:isString', 'seats:isInt', 'seats:min'],
      ungrouped: ['name:isString', 'seats:isInt'],
      strict: ['seats:min'],
      parent: ['name:isString'],
    });
  });

  it('looks a class up once: the same frozen answer every time', () => {
    memoizeValidationMetadata();
    const first = rules(Child);
    expect(rules(Child)).toBe(first);
    expect(Object.isFrozen(first)).toBe(true);
    expect(rules(Child, ['strict'])).not.toBe(first);
  });

  it('still validates: inherited rules and groups apply', () => {
    memoizeValidationMetadata();
    const bad = Object.assign(new Child(), { name: 3, seats: 0 });
    expect(validateSync(bad).map((e) => e.property)).toEqual(['seats', 'name']);
    expect(validateSync(bad, { groups: ['strict'] }).map((e) => e.property)).toContain('seats');
    const good = Object.assign(new Child(), { name: 'Jo', seats: 2 });
    expect(validateSync(good, { groups: ['strict'] })).toEqual([]);
  });
});
