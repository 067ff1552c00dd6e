// Workload 3, cold start, for a peer named in argv[2]: import it, 10 trivial tasks on 2
// workers, then close the pool (workerpool would otherwise keep the process alive).
import { allAtOnce, openPeer } from '../lib/peers.mjs';

const pool = await openPeer(process.argv[2], 'square', 2);
const results = await allAtOnce(10, (i) => pool.run(i));
if (results[9] !== 81) throw new Error(`wrong result ${results[9]}`);
await pool.close();
