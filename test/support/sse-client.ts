import http from 'node:http';

// The same client as test/event-stream.e2e-spec.ts (which can import it from here).
export interface Frame {
  id?: string;
  event?: string;
  data?: string;
  comment?: string;
}

/** A minimal EventSource: parses frames as they arrive; the socket can be paused. */
export class SseClient {
  frames: Frame[] = [];
  status = 0;
  ended = false;
  private buffer = '';
  req: http.ClientRequest;
  res: http.IncomingMessage | null = null;

  constructor(base: string, headers: Record<string, string>) {
    this.req = http.get(`${base}/v1/events/stream`, { headers, agent: false }, (res) => {
      this.res = res;
      this.status = res.statusCode ?? 0;
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => this.feed(chunk));
      res.on('end', () => (this.ended = true));
      res.on('close', () => (this.ended = true));
    });
    this.req.on('error', () => (this.ended = true));
  }

  get events(): { id: number; type: string; data: Record<string, unknown> }[] {
    return this.frames
      .filter((f) => f.id !== undefined && f.data !== undefined)
      .map((f) => ({ id: Number(f.id), type: f.event!, data: JSON.parse(f.data!).data }));
  }

  /** The stream's last `id:`, as EventSource keeps it (a bare one too): its Last-Event-ID. */
  get lastId(): string | undefined {
    return this.frames.findLast((f) => f.id !== undefined)?.id;
  }

  close(): void {
    this.req.destroy();
  }

  private feed(chunk: string): void {
    this.buffer += chunk;
    let end: number;
    while ((end = this.buffer.indexOf('\n\n')) >= 0) {
      const block = this.buffer.slice(0, end);
      this.buffer = this.buffer.slice(end + 2);
      const frame: Frame = {};
      for (const line of block.split('\n')) {
        if (line.startsWith(':')) frame.comment = line.slice(1).trim();
        else {
          const i = line.indexOf(': ');
          (frame as Record<string, string>)[line.slice(0, i)] = line.slice(i + 2);
        }
      }
      this.frames.push(frame);
    }
  }
}
