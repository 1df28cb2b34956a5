// The worker of examples/rings.ts: reads the ingest ring and republishes each batch on the fan-out ring.
import { attachTickwire } from "tickwire/node";

const { mem, pool, data } = await attachTickwire<{ role: string; n: number }>();
const r = pool!.get("ingest").reader();
const out = pool!.get("fanout").writer();
let forwarded = 0;
while (forwarded < data.n) {
  if (!r.wait(5000)) throw new Error(`${data.role}: no records within 5 s`); // spin, then Atomics.wait (waitAsync() on an event loop)
  r.pollBatch((offset, bytes) => {   // the batch in place: records back to back (or r.poll(cb): one record at a time)
    const dst = out.claim(bytes);
    mem.u8.copyWithin(dst, offset, offset + bytes);
    forwarded += out.commit(bytes);
  });
}
console.log(`${data.role}: forwarded ${forwarded} ticks`);
