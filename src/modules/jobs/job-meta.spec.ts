import { splitJobData, withJobMeta } from './job-meta';

describe('job meta beside the payload', () => {
  it('leaves a payload as it is when there is no meta', () => {
    const payload = { ticketId: 't1' };
    expect(withJobMeta(payload, {})).toBe(payload);
    expect(withJobMeta(payload, { requestId: undefined })).toBe(payload);
    expect(splitJobData(payload)).toEqual({ payload, meta: {} });
  });

  it('round-trips: the handler gets the payload alone, the meta comes back out', () => {
    const data = withJobMeta({ deliveryId: 'd1' }, { requestId: 'abc-12345678' });
    expect(data).toEqual({ deliveryId: 'd1', _meta: { requestId: 'abc-12345678' } });
    expect(splitJobData(data)).toEqual({
      payload: { deliveryId: 'd1' },
      meta: { requestId: 'abc-12345678' },
    });
  });

  it('keeps a sweep count next to the request id', () => {
    const first = withJobMeta({ claimId: 'c1' }, { requestId: 'r-12345678' });
    const { payload, meta } = splitJobData(first);
    const rearmed = withJobMeta(payload, { ...meta, timerRearms: 1 });
    expect(splitJobData(rearmed).meta).toEqual({ requestId: 'r-12345678', timerRearms: 1 });
  });
});
