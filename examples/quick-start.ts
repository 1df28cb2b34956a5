// One tick written as a binary record in shared memory and rendered as the client JSON message.
import { TickwireMemory, SymbolTable, TickView, JsonRenderer, Kind } from "tickwire";

const mem = await TickwireMemory.create({ bytes: 64 << 20 });   // one shared memory for all threads
const symbols = SymbolTable.create(mem, 50_000);
const at = mem.allocate(4096);

const tick = new TickView(mem.buffer).wrap(at).init(Kind.QUOTE); // a flyweight: no object per tick
tick.setSymbol(symbols.get(symbols.intern("NSE", "RELIANCE", 2))); // id, exchange, decimals: the table's
tick.ltp = 2500.05;                                              // stored as 250005; 2500.055 would be refused
tick.volume = 2n ** 60n;                                         // u64, exact

const json = new JsonRenderer(mem, symbols, { broker: "flattrade" });
json.render(at, tick.length, Kind.QUOTE);                        // one Wasm call per batch
console.log(new TextDecoder().decode(json.message(0).slice()));
