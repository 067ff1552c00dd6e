import { connect } from '@nats-io/transport-node';
import { jetstream, jetstreamManager, AckPolicy } from '@nats-io/jetstream';
import { NatsServer } from '/work/wt/redeliver/adapters/nats/dist/testing/nats-server.js';
const [ackWait, outage, runBefore] = process.argv.slice(2).map(Number);
const server = await NatsServer.start();
const opts = { servers: server.url, maxReconnectAttempts: -1, reconnectTimeWait: 250 };
const ncA = await connect(opts), ncB = await connect(opts);
const jsm = await jetstreamManager(ncA);
await jsm.streams.add({ name: 'T', subjects: ['t.>'], retention: 'workqueue', storage: 'file' });
await jsm.consumers.add('T', { durable_name: 'w', ack_policy: AckPolicy.Explicit, ack_wait: ackWait * 1e6, max_deliver: 10 });
await jetstream(ncA).publish('t.a', 'x');
const t0 = Date.now();
const a = await (await jetstream(ncA).consumers.get('T', 'w')).next({ expires: 2000 });
console.log('A got', a.info.deliveryCount);
(async () => { for await (const st of ncA.status()) console.log('A status', st.type, Date.now() - t0); })();
setInterval(() => { try { a.working(); } catch (e) { } }, ackWait / 3).unref();
await new Promise(r => setTimeout(r, runBefore));
await server.kill();
console.log('killed at', Date.now() - t0);
await new Promise(r => setTimeout(r, outage));
await server.launch();
console.log('relaunched at', Date.now() - t0);
const jsB = jetstream(ncB);
const until = Date.now() + 12000;
while (Date.now() < until) {
  try {
    const c = await jsB.consumers.get('T', 'w');
    const b = await c.next({ expires: 1000 });
    if (b) { console.log('B got delivery', b.info.deliveryCount, 'at', Date.now() - t0); }
  } catch (e) { console.log('B err', e.message); await new Promise(r => setTimeout(r, 250)); }
}
process.exit(0);
