// Claims room in an MPSC ring, writes half a record, says so, and hangs until terminated:
// a writer that dies between claim and commit.
import { parentPort } from "node:worker_threads";
import { attachTickwire } from "../../src/node/index.js";

const { mem, pool, data } = await attachTickwire<{ ring: string; bytes: number }>();
const at = pool!.get(data.ring).writer().tryClaim(data.bytes);
mem.u32[at >>> 2] = 0xdead;
parentPort!.postMessage({ claimed: at });
Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0);
