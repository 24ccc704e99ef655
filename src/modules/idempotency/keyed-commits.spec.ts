import { CommitRecord, takenOver } from './keyed-commits';

const HOLDER = { scope: 'user:u', key: 'k', token: 't' };

/** A transaction of the request: begun, then ended as `end` says. */
function tx(r: CommitRecord, end: 'wrote' | 'read' | 'rolled-back' | 'died' | 'in-doubt') {
  const runner = {};
  r.started(runner);
  if (end === 'died') return; // its connection went before its COMMIT
  if (end === 'rolled-back') return r.rolledBack(runner);
  r.committing(runner, end === 'read' ? null : `${Math.floor(Math.random() * 1e9)}`);
  if (end !== 'in-doubt') r.committed(runner);
}

describe('CommitRecord: what a keyed request that failed left', () => {
  it('none: nothing that wrote committed (the key is freed)', () => {
    const r = new CommitRecord(HOLDER);
    expect(r.outcome()).toBe('none');
    tx(r, 'read');
    tx(r, 'rolled-back');
    tx(r, 'died');
    expect(r.outcome()).toBe('none');
  });

  it('saved: a write committed and nothing failed after it (a read-back outside a transaction did)', () => {
    const r = new CommitRecord(HOLDER);
    tx(r, 'rolled-back'); // a collision, retried inside the use case
    tx(r, 'wrote');
    tx(r, 'read');
    expect(r.outcome()).toBe('saved');
  });

  it('unknown: a transaction failed after a write committed (the request broke between steps)', () => {
    for (const end of ['rolled-back', 'died'] as const) {
      const r = new CommitRecord(HOLDER);
      tx(r, 'wrote');
      tx(r, end);
      expect(r.outcome()).toBe('unknown');
    }
  });

  it('a COMMIT in doubt is what PostgreSQL says of it afterwards, else unknown', () => {
    const outcomeIf = (fate: 'committed' | 'aborted' | 'unknown') => {
      const r = new CommitRecord(HOLDER);
      tx(r, 'in-doubt');
      const [xid] = r.inDoubt;
      return r.outcome(new Map([[xid, fate]]));
    };
    expect(outcomeIf('committed')).toBe('saved');
    expect(outcomeIf('aborted')).toBe('none');
    expect(outcomeIf('unknown')).toBe('unknown');
    const readOnly = new CommitRecord(HOLDER);
    const runner = {};
    readOnly.started(runner);
    readOnly.committing(runner, null);
    expect(readOnly.inDoubt).toEqual([]);
    expect(readOnly.outcome()).toBe('none');
  });

  it('a transaction that wrote nothing changes nothing, whatever became of its COMMIT', () => {
    const r = new CommitRecord(HOLDER);
    tx(r, 'wrote');
    const runner = {};
    r.started(runner);
    r.committing(runner, null); // its answer lost with the connection
    expect(r.outcome()).toBe('saved');
  });
});

describe('takenOver: a transaction of a request whose key a retry took over', () => {
  const record = (...xids: string[]) => ({ wrote: (x: string) => xids.includes(x) });

  it('no: it wrote nothing, or its mark was written (the key still its own)', () => {
    expect(takenOver({ xid: null, marked: false, savedBy: null }, record())).toBe(false);
    expect(takenOver({ xid: '7', marked: true, savedBy: null }, record())).toBe(false);
  });

  it('yes: the row is another lease’s, marked by it or not yet, or gone (that retry freed it)', () => {
    expect(takenOver({ xid: '7', marked: false, savedBy: null }, record())).toBe(true);
    expect(takenOver({ xid: '7', marked: false, savedBy: '9' }, record('5'))).toBe(true);
  });

  it('no: the row stands on a save of its own (settled OUTCOME_UNKNOWN, nobody else runs it)', () => {
    expect(takenOver({ xid: '7', marked: false, savedBy: '5' }, record('5'))).toBe(false);
  });
});
