// tickwire's (OpenAlgo's) exchange names <-> a broker's exchange segment codes.
//
// What OpenAlgo does (read in marketcalls/openalgo):
// - broker/flattrade/streaming/flattrade_mapping.py and broker/shoonya/streaming/shoonya_mapping.py:
//   NSE, BSE, NFO, BFO, CDS, MCX map to themselves; NSE_INDEX -> "NSE", BSE_INDEX -> "BSE" ("indices
//   use base exchange"); other OpenAlgo brokers (angel, motilal, definedge, mstock) add MCX_INDEX -> "MCX".
//   Flattrade's reverse map is built by inverting that dict, so "NSE" comes back as NSE_INDEX
//   (the last key wins); Shoonya's file fixes this with an explicit reverse table that never yields
//   an index. The truth is that the reverse needs the instrument type, which is what we take.
// - broker/flattrade/database/master_contract_db.py: exchange = NSE_INDEX when Instrument == "INDEX",
//   BSE_INDEX when Instrument == "UNDIND"; broker/shoonya/database/master_contract_db.py: NSE_INDEX
//   when Instrument == "INDEX" (BSE indices SENSEX 1 and BANKEX 12 are added by hand there).
//   The streaming adapters send `to_flattrade_exchange(brexchange)|token`, i.e. "NSE|26000".
// BCD (BSE currency) is a Noren segment with the same name. NCDEX, NCO, GLOBAL_INDEX and CRYPTO have no
// verified Noren code and are left out: pass a table of your own to ExchangeMap to add them.

import type { ExchangeName } from "../format/exchange.js";
import { exchangeCode } from "../format/exchange.js";
import { TickwireError } from "../errors.js";
import { describe } from "../validate.js";

/** One row of an exchange table: a tickwire exchange and the broker's code for it. */
export interface ExchangeMapping {
  readonly exchange: ExchangeName;
  /** The broker's segment code on the wire and in its symbol master ("NSE"). */
  readonly broker: string;
  /** Whether this tickwire exchange holds the indices of that broker segment (NSE_INDEX on "NSE"). */
  readonly index?: boolean;
}

/** The Noren platform's segments (Flattrade, Shoonya), as OpenAlgo maps them. */
export const NOREN_EXCHANGE_TABLE: readonly ExchangeMapping[] = Object.freeze([
  { exchange: "NSE", broker: "NSE" },
  { exchange: "BSE", broker: "BSE" },
  { exchange: "NFO", broker: "NFO" },
  { exchange: "BFO", broker: "BFO" },
  { exchange: "CDS", broker: "CDS" },
  { exchange: "BCD", broker: "BCD" },
  { exchange: "MCX", broker: "MCX" },
  { exchange: "NSE_INDEX", broker: "NSE", index: true },
  { exchange: "BSE_INDEX", broker: "BSE", index: true },
  { exchange: "MCX_INDEX", broker: "MCX", index: true },
].map((m) => Object.freeze(m as ExchangeMapping)));

// Instrument types that mark an index row in broker masters: Noren/Flattrade NSE "INDEX",
// Flattrade BSE "UNDIND" (master_contract_db.py above).
const INDEX_TYPES: ReadonlySet<string> = new Set(["INDEX", "UNDIND"]);

/** Whether a broker master's instrument type marks an index ("INDEX", "UNDIND"; case-insensitive). */
export function isIndexInstrument(instrumentType: string): boolean {
  if (typeof instrumentType !== "string") throw new TickwireError("ARGUMENT", `isIndexInstrument: instrumentType must be a string, got ${describe(instrumentType)}`);
  return INDEX_TYPES.has(instrumentType.trim().toUpperCase());
}

/**
 * A two-way map between tickwire exchange names and one broker's segment codes. The
 * forward direction is a function of the exchange; the reverse needs the instrument type,
 * since an index and an equity share a segment ("NSE|26000" is NSE_INDEX, "NSE|2885" NSE).
 */
export class ExchangeMap {
  private readonly toBrokerCode = new Map<string, string>();
  private readonly plain = new Map<string, ExchangeName>();
  private readonly indices = new Map<string, ExchangeName>();

  /**
   * @param table - one row per tickwire exchange; each broker code may have at most one plain
   *   and one index exchange
   */
  constructor(table: readonly ExchangeMapping[]) {
    if (!Array.isArray(table)) throw new TickwireError("ARGUMENT", `ExchangeMap: table must be an array, got ${describe(table)}`);
    table.forEach((m, i) => {
      const what = `ExchangeMap: table[${i}]`;
      if (typeof m !== "object" || m === null) throw new TickwireError("ARGUMENT", `${what} must be an object, got ${describe(m)}`);
      if (exchangeCode(m.exchange) === 0) throw new TickwireError("EXCHANGE", `${what}.exchange is not a tickwire exchange name, got ${describe(m.exchange)}`);
      if (typeof m.broker !== "string" || !/^[A-Z0-9_]{1,16}$/.test(m.broker)) {
        throw new TickwireError("ARGUMENT", `${what}.broker must be 1..16 of A-Z, 0-9, _, got ${describe(m.broker)}`);
      }
      if (m.index !== undefined && typeof m.index !== "boolean") throw new TickwireError("ARGUMENT", `${what}.index must be a boolean, got ${describe(m.index)}`);
      if (this.toBrokerCode.has(m.exchange)) throw new TickwireError("ARGUMENT", `${what}: exchange ${m.exchange} appears twice`);
      const reverse = m.index ? this.indices : this.plain;
      if (reverse.has(m.broker)) throw new TickwireError("ARGUMENT", `${what}: broker code ${m.broker} already has a${m.index ? "n index" : " plain"} exchange (${reverse.get(m.broker)})`);
      this.toBrokerCode.set(m.exchange, m.broker);
      reverse.set(m.broker, m.exchange);
    });
  }

  /** The broker's segment code of a tickwire exchange ("NSE_INDEX" -> "NSE"), or undefined when it has none. */
  toBroker(exchange: string): string | undefined {
    if (typeof exchange !== "string") throw new TickwireError("ARGUMENT", `ExchangeMap.toBroker: exchange must be a string, got ${describe(exchange)}`);
    return this.toBrokerCode.get(exchange);
  }

  /**
   * The tickwire exchange of a broker segment code and an instrument type ("NSE" + "INDEX" ->
   * NSE_INDEX, "NSE" + "EQ" -> NSE), or undefined when the code is unknown or an index row sits
   * on a segment with no index exchange.
   */
  fromBroker(brokerExchange: string, instrumentType = ""): ExchangeName | undefined {
    if (typeof brokerExchange !== "string") throw new TickwireError("ARGUMENT", `ExchangeMap.fromBroker: brokerExchange must be a string, got ${describe(brokerExchange)}`);
    if (typeof instrumentType !== "string") throw new TickwireError("ARGUMENT", `ExchangeMap.fromBroker: instrumentType must be a string, got ${describe(instrumentType)}`);
    return INDEX_TYPES.has(instrumentType.trim().toUpperCase()) ? this.indices.get(brokerExchange) : this.plain.get(brokerExchange);
  }

  /** Whether `brokerExchange` is one of this broker's segment codes. */
  hasBroker(brokerExchange: string): boolean {
    return typeof brokerExchange === "string" && (this.plain.has(brokerExchange) || this.indices.has(brokerExchange));
  }

  /** Whether `exchange` is one of the index exchanges of this map. */
  isIndex(exchange: string): boolean {
    const code = typeof exchange === "string" ? this.toBrokerCode.get(exchange) : undefined;
    return code !== undefined && this.indices.get(code) === exchange;
  }
}

/** The Noren map (Flattrade, Shoonya, the simulated exchange). */
export const NOREN_EXCHANGES: ExchangeMap = new ExchangeMap(NOREN_EXCHANGE_TABLE);
