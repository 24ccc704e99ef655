/** One dispatched Server-Sent Events frame. */
export interface SseFrame {
  /** The last `id:` seen on the stream so far (what Last-Event-ID should send on reconnect). */
  lastId: string | undefined;
  event: string;
  data: string;
}

const LINE_END = /\r\n|\r|\n/;

/**
 * Reads a text/event-stream body into frames, by the WHATWG parsing rules (comments skipped,
 * one optional space after the colon, data lines joined with \n, the id kept across frames,
 * `retry:` ignored: the reconnect delay is ours). EventSource cannot be used: it sends no
 * Authorization header, and the token must never go in the URL.
 */
export async function* readFrames(
  body: ReadableStream<Uint8Array>,
  onBytes: () => void = () => undefined,
  onLastId: (id: string) => void = () => undefined,
): AsyncGenerator<SseFrame> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  let lastId: string | undefined;
  let event = '';
  let data: string[] = [];
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      onBytes(); // anything, a heartbeat comment too: the connection is alive
      buffer += decoder.decode(value, { stream: true });
      for (;;) {
        const match = LINE_END.exec(buffer);
        if (!match) break;
        // A chunk may end between \r and \n: wait for the next one before deciding.
        if (match[0] === '\r' && match.index === buffer.length - 1) break;
        const line = buffer.slice(0, match.index);
        buffer = buffer.slice(match.index + match[0].length);
        if (line === '') {
          // Every dispatch sets the last event id, one with no data too (a bare `id:`, where
          // the API says the stream stands), as EventSource does.
          if (lastId !== undefined) onLastId(lastId);
          if (data.length > 0) yield { lastId, event: event || 'message', data: data.join('\n') };
          event = '';
          data = [];
          continue;
        }
        if (line.startsWith(':')) continue; // ": connected", ": heartbeat"
        const colon = line.indexOf(':');
        const field = colon === -1 ? line : line.slice(0, colon);
        let text = colon === -1 ? '' : line.slice(colon + 1);
        if (text.startsWith(' ')) text = text.slice(1);
        if (field === 'data') data.push(text);
        else if (field === 'event') event = text;
        else if (field === 'id' && !text.includes('\0')) lastId = text;
      }
    }
  } finally {
    reader.cancel().catch(() => undefined);
  }
}
