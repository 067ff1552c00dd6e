/**
 * A provider whose spans claim to record and do nothing: every code path of parajob's tracing runs
 * (batch spans, trace context on the wire, the workers' spans under it), none of an SDK's work.
 */
let hollowIds = 0;
export const hollowProvider = {
  getTracer: () => ({
    startSpan() {
      const ids = {
        traceId: '0af7651916cd43dd8448eb211c80319c',
        spanId: (++hollowIds).toString(16).padStart(16, '0'),
        traceFlags: 1,
      };
      return {
        spanContext: () => ids,
        isRecording: () => true,
        setAttribute() {
          return this;
        },
        setStatus() {
          return this;
        },
        recordException() {},
        end() {},
      };
    },
  }),
};
