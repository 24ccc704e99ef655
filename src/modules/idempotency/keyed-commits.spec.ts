import { CommitRecord } from './keyed-commits';

describe('CommitRecord: the outcome of a keyed request’s last transaction that wrote', () => {
  const [a, b] = [{}, {}];

  it('is none until a transaction that wrote commits', () => {
    const r = new CommitRecord();
    expect(r.outcome).toBe('none');
    r.committed(a); // read-only: never announced as committing
    expect(r.outcome).toBe('none');
    r.committing(a);
    r.committed(a);
    expect(r.outcome).toBe('committed');
  });

  it('is in doubt while a COMMIT went unanswered, whatever came before', () => {
    const r = new CommitRecord();
    r.committing(a);
    r.committed(a);
    r.committing(b);
    expect(r.outcome).toBe('in-doubt');
  });

  it('is none again when a later transaction rolled back, even after a COMMIT that failed for sure', () => {
    const r = new CommitRecord();
    r.committing(a);
    r.committed(a);
    r.committing(b); // refused at COMMIT (a deferred constraint): TypeORM's ROLLBACK answers
    r.rolledBack(b);
    expect(r.outcome).toBe('none');
  });

  it('keeps committed when a later transaction only read', () => {
    const r = new CommitRecord();
    r.committing(a);
    r.committed(a);
    r.committed(b);
    expect(r.outcome).toBe('committed');
  });
});
