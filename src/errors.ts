import * as L from "./format/layout.js";

/** What went wrong, as a stable string a caller can switch on. */
export type TickwireErrorCode =
  | "TRUNCATED" | "VERSION" | "KIND" | "LENGTH" | "PRICE" | "PRECISION" | "DECIMALS" | "EXCHANGE" | "SYMBOL"
  | "TABLE_FULL" | "OUTPUT_FULL" | "BROKER" | "ARGUMENT" | "REGION" | "HANDLE" | "MEMORY" | "TIMEOUT"
  | "GIVEN_UP" | "FAILED" | "DETACHED";

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
  [L.ERR_OUTPUT_FULL, "OUTPUT_FULL"], [L.ERR_BROKER, "BROKER"], [L.ERR_PRECISION, "PRECISION"],
  [L.ERR_BOOK, "ARGUMENT"], [L.ERR_GIVEN_UP, "GIVEN_UP"],
]);

const STATUS_TEXT: ReadonlyMap<number, string> = new Map([
  [L.ERR_TRUNCATED, "record runs past the end of its batch (or the batch ends inside a record header)"],
  [L.ERR_VERSION, `record version is not ${L.FORMAT_VERSION}`],
  [L.ERR_KIND, "record kind is not LTP (1), QUOTE (2), DEPTH (3) or PADDING (255)"],
  [L.ERR_LENGTH, `record length does not match its kind (64, 192, 384; padding: a multiple of 64 from 64 to ${L.PADDING_MAX_BYTES})`],
  [L.ERR_PRICE, "price is not finite, or its scaled integer is beyond ±(2^51 - 1)"],
  [L.ERR_PRECISION, "price has more decimals than the record's priceDecimals"],
  [L.ERR_DECIMALS, `priceDecimals is above ${L.MAX_PRICE_DECIMALS}, or differs from the symbol's`],
  [L.ERR_EXCHANGE, "exchange code is not 1..14, or differs from the symbol's"],
  [L.ERR_SYMBOL, `symbol is empty, longer than ${L.SYMBOL_MAX_BYTES} UTF-8 bytes, not well-formed UTF-8, holds a control character, BOM, quote or backslash, or its id is not in the symbol table`],
  [L.ERR_TABLE_FULL, "symbol table is full"],
  [L.ERR_OUTPUT_FULL, "output buffer is too small"],
  [L.ERR_BROKER, `broker name is longer than ${L.BROKER_MAX_BYTES} bytes or the mode is not 1..3`],
  [L.ERR_BOOK, "a DEPTH record's bid, ask, bidQty or askQty differs from level 0 of its book"],
  [L.ERR_GIVEN_UP, "the claim was given up by the reader (unblock) before it was committed"],
]);

/** Turns a negative status from the Wasm core into a TickwireError. */
export function errorFromStatus(status: number, context: string, recordIndex?: number, detail?: string): TickwireError {
  const code = CODE_BY_STATUS.get(status) ?? "ARGUMENT";
  const text = STATUS_TEXT.get(status) ?? `status ${status}`;
  const where = recordIndex === undefined ? "" : ` (record ${recordIndex}${detail ? `, ${detail}` : ""})`;
  return new TickwireError(code, `${context}: ${text}${where}`, recordIndex);
}
