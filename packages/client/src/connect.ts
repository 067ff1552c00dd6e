/**
 * connect(): Ray's ray.init(). With no servers, an embedded local cluster on worker threads (no
 * server to install); with `servers`, the NATS JetStream cluster of @parajob/nats.
 */
import type { ClusterOptions } from '@parajob/nats';
import { Client } from './client.js';
import { setDriverClient } from './context.js';
import type { ClientEngine } from './engine.js';
import { LocalEngine, type LocalEngineOptions } from './local/engine.js';
import { NatsEngine } from './nats-engine.js';

export type ConnectOptions =
  | LocalEngineOptions
  | (ClusterOptions & { readonly servers: ClusterOptions['servers'] })
  | { readonly engine: ClientEngine };

export async function connect(options: ConnectOptions = {}): Promise<Client> {
  let engine: ClientEngine;
  if ('engine' in options) engine = options.engine;
  else if ('servers' in options && options.servers !== undefined)
    engine = await NatsEngine.start(options as ClusterOptions);
  else engine = new LocalEngine(options as LocalEngineOptions);
  const client = new Client(engine);
  setDriverClient(client);
  return client;
}
