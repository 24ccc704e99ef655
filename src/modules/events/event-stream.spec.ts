import { EventEmitter } from 'node:events';
import type { ServerResponse } from 'node:http';
import { EventStream } from './event-stream';

/** An answer whose client stopped reading: what is written stays in its buffer. */
function stuckAnswer() {
  const res = Object.assign(new EventEmitter(), {
    statusCode: 0,
    writableEnded: false,
    writableFinished: false,
    writableLength: 0,
    setHeader: jest.fn(),
    flushHeaders: jest.fn(),
    socket: null,
    write: jest.fn(() => false),
    end: jest.fn(() => {
      res.writableEnded = true;
    }),
    destroy: jest.fn(),
  });
  return res;
}

describe('EventStream', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  const open = (res: ReturnType<typeof stuckAnswer>, maxBehindBytes = 1 << 20) =>
    new EventStream(res as unknown as ServerResponse, {
      scope: { kind: 'agent', agentId: 'a' } as never,
      subject: 'a',
      heartbeatMs: 60_000,
      maxBehind: 10,
      maxBehindBytes,
      expiresAt: null,
      issuedAt: null,
      afterId: 0,
    });

  it('ends at once on an answer whose client left while it was being opened, and tells a late listener', () => {
    const res = Object.assign(stuckAnswer(), { destroyed: true });
    const stream = open(res);
    expect(stream.ended).toBe('closed');
    const heard = jest.fn();
    stream.onEnd(heard);
    expect(heard).toHaveBeenCalledWith('closed');
  });

  it.each(['shutdown', 'token_expired', 'session_ended', 'closed'] as const)(
    'destroys the socket of a stream ended (%s) that its client does not drain, after a grace',
    (reason) => {
      // Left to drain, it never did: its socket and buffer stayed for good (no server timeout
      // applies to an answer being sent), and the subject's freed place let it open another.
      const res = stuckAnswer();
      open(res).end(reason);
      expect(res.end).toHaveBeenCalled();
      jest.advanceTimersByTime(1_999);
      expect(res.destroy).not.toHaveBeenCalled();
      jest.advanceTimersByTime(1);
      expect(res.destroy).toHaveBeenCalled();
    },
  );

  it('stops waiting for a socket that does not drain once the stream ends', async () => {
    const res = stuckAnswer();
    const stream = open(res);
    const row = { id: '1', type: 't', occurred_at: new Date(), company_id: null, agent_id: 'a' };
    let done = false;
    const replay = stream.replay([row as never]).then(() => (done = true));
    await Promise.resolve();
    expect(done).toBe(false);
    stream.end('session_ended');
    await replay;
    expect(done).toBe(true);
  });

  it('keeps no end listener for each wait of a replay once the socket drained', async () => {
    const res = stuckAnswer();
    const stream = open(res);
    const row = { id: '1', type: 't', occurred_at: new Date(), company_id: null, agent_id: 'a' };
    const listening = () => (stream as unknown as { closeListeners: unknown[] }).closeListeners;
    const before = listening().length;
    for (let page = 0; page < 5; page += 1) {
      const replay = stream.replay([row as never]);
      res.emit('drain');
      await replay;
    }
    // One was added per page and never taken off: a replay of many pages held many.
    expect(listening()).toHaveLength(before);
    expect(res.listenerCount('drain')).toBe(1);
  });

  it('leaves one that flushed alone', () => {
    const flushed = stuckAnswer();
    flushed.end.mockImplementation(() => {
      flushed.writableEnded = true;
      flushed.writableFinished = true;
    });
    open(flushed).end('session_ended');
    jest.advanceTimersByTime(10_000);
    expect(flushed.destroy).not.toHaveBeenCalled();
  });

  it('goes live after a replay the socket took, with bytes still waiting and no drain to come', async () => {
    const res = Object.assign(stuckAnswer(), { writableLength: 366 });
    res.write.mockReturnValue(true);
    const stream = open(res);
    const row = { id: '1', type: 't', occurred_at: new Date(), company_id: null, agent_id: 'a' };
    await stream.replay([row as never]);
    stream.goLive();
    stream.push({ ...row, id: '2' } as never);
    expect(res.write).toHaveBeenLastCalledWith(expect.stringContaining('id: 2\n'));
  });

  it('writes the events queued during a replay whole, however many bytes they make', async () => {
    const res = stuckAnswer();
    res.write.mockImplementation(() => {
      res.writableLength += 4096;
      return res.writableLength < 16_384;
    });
    const stream = open(res, 8192);
    const row = { type: 't', occurred_at: new Date(), company_id: null, agent_id: 'a' };
    for (let id = 1; id <= 5; id += 1) stream.push({ ...row, id: String(id) } as never);
    stream.goLive();
    expect(stream.ended).toBeNull();
    expect(res.destroy).not.toHaveBeenCalled();
    // Live from here: the next one is judged on what it adds, and once over the limit beyond
    // them, the reader is too slow.
    stream.push({ ...row, id: '6' } as never);
    expect(stream.ended).toBeNull();
    stream.push({ ...row, id: '7' } as never);
    stream.push({ ...row, id: '8' } as never);
    expect(stream.ended).toBe('too_slow');
  });
});
