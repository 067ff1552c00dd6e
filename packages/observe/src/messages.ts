/** Every user-facing message of @parajob/observe. */
export const messages = {
  tracing: {
    noApi: (why: string) =>
      `@parajob/observe: tracing needs @opentelemetry/api, which could not be loaded (${why}). Install it next to your OpenTelemetry SDK: npm install @opentelemetry/api`,
  },
  server: {
    address: (flag: string, text: string) =>
      `${flag} ${JSON.stringify(text)} is not HOST:PORT or PORT (e.g. 127.0.0.1:9464 or 9464); the port must be 0-65535`,
    tokenRequired: (what: string, host: string) =>
      `${what}: binding to ${host} exposes it beyond this machine; give a token (--token or { token }) that clients must send, or bind to 127.0.0.1`,
    listen: (what: string, address: string, why: string) =>
      `${what}: cannot listen on ${address} (${why}); choose another address or port`,
  },
} as const;
