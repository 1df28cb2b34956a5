import * as L from "./format/layout.js";

/** What went wrong, as a stable string a caller can switch on. */
export type TickwireErrorCode =
  | "TRUNCATED" | "VERSION" | "KIND" | "LENGTH" | "PRICE" | "DECIMALS" | "EXCHANGE" | "SYMBOL"
  | "TABLE_FULL" | "OUTPUT_FULL" | "BROKER" | "ARGUMENT" | "HANDLE" | "MEMORY" | "TIMEOUT";

/** Every error tickwire throws on bad input or misuse. Never carries secrets. */
export class TickwireError extends Error {
  override readonly name = "TickwireError";
  /**
   * @param code - the kind of failure
   * @param message - what is wrong, naming the value or field at fault
   * @param recordIndex - for batch operations: the index of the offending record in its batch
   */
  constructor(readonly code: TickwireErrorCode, message: string, readonly recordIndex?: number) {
    super(message);
  }
}

const CODE_BY_STATUS: ReadonlyMap<number, TickwireErrorCode> = new Map([
  [L.ERR_TRUNCATED, "TRUNCATED"], [L.ERR_VERSION, "VERSION"], [L.ERR_KIND, "KIND"],
  [L.ERR_LENGTH, "LENGTH"], [L.ERR_PRICE, "PRICE"], [L.ERR_DECIMALS, "DECIMALS"],
  [L.ERR_EXCHANGE, "EXCHANGE"], [L.ERR_SYMBOL, "SYMBOL"], [L.ERR_TABLE_FULL, "TABLE_FULL"],
  [L.ERR_OUTPUT_FULL, "OUTPUT_FULL"], [L.ERR_BROKER, "BROKER"],
]);

const STATUS_TEXT: Readonly<Record<TickwireErrorCode, string>> = {
  TRUNCATED: "record runs past the end of its batch (or the batch ends inside a record header)",
  VERSION: `record version is not ${L.FORMAT_VERSION}`,
  KIND: "record kind is not LTP (1), QUOTE (2), DEPTH (3) or PADDING (255)",
  LENGTH: "record length does not match its kind (64, 192, 384; padding: a multiple of 64)",
  PRICE: "price is not finite or does not fit ±2^53 at its priceDecimals",
  DECIMALS: `priceDecimals is above ${L.MAX_PRICE_DECIMALS}`,
  EXCHANGE: "exchange code is not 1..14",
  SYMBOL: `symbol is empty, longer than ${L.SYMBOL_MAX_BYTES} UTF-8 bytes, holds a control character, quote or backslash, or its id is not in the symbol table`,
  TABLE_FULL: "symbol table is full",
  OUTPUT_FULL: "output buffer is too small",
  BROKER: `broker name is longer than ${L.BROKER_MAX_BYTES} bytes or the mode is not 1..3`,
  ARGUMENT: "bad argument",
  HANDLE: "bad handle",
  MEMORY: "shared memory is exhausted",
  TIMEOUT: "timed out",
};

/** Turns a negative status from the Wasm core into a TickwireError. */
export function errorFromStatus(status: number, context: string, recordIndex?: number, detail?: string): TickwireError {
  const code = CODE_BY_STATUS.get(status) ?? "ARGUMENT";
  const where = recordIndex === undefined ? "" : ` (record ${recordIndex}${detail ? `, ${detail}` : ""})`;
  return new TickwireError(code, `${context}: ${STATUS_TEXT[code]}${where}`, recordIndex);
}
