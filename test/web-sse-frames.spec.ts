import { readFrames } from '../web/src/api/sse-frames';

/** The console's text/event-stream reader (web/src/api/sse-frames.ts). */
describe('the console reads an event stream', () => {
  const body = (...chunks: string[]) =>
    new ReadableStream<Uint8Array>({
      start(c) {
        for (const chunk of chunks) c.enqueue(new TextEncoder().encode(chunk));
        c.close();
      },
    });

  it('keeps a bare id: as the last event id, as EventSource does, without an event', async () => {
    const ids: string[] = [];
    const frames = [];
    const stream = body(
      ': connected\n\n',
      'id: 57\n\n',
      'id: 58\nevent: x\ndata: {}\n\n',
      'id: 60\n\n',
    );
    for await (const f of readFrames(stream, undefined, (id) => ids.push(id))) frames.push(f);
    expect(frames).toEqual([{ lastId: '58', event: 'x', data: '{}' }]);
    // The bare ids count: a stream that drops before any event resumes from 57, not from nothing.
    expect(ids).toEqual(['57', '58', '60']);
  });
});
