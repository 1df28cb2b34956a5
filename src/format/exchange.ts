import * as L from "./layout.js";

/** Exchange segments a record can carry, by their code in the record's `exchange` byte. */
export type ExchangeName =
  | "NSE" | "BSE" | "NFO" | "BFO" | "CDS" | "BCD" | "MCX" | "NCDEX" | "NCO"
  | "NSE_INDEX" | "BSE_INDEX" | "MCX_INDEX" | "GLOBAL_INDEX" | "CRYPTO";

/** Exchange names indexed by code; index 0 is not an exchange. */
export const EXCHANGE_NAMES: readonly (ExchangeName | "")[] = [
  "", "NSE", "BSE", "NFO", "BFO", "CDS", "BCD", "MCX", "NCDEX", "NCO",
  "NSE_INDEX", "BSE_INDEX", "MCX_INDEX", "GLOBAL_INDEX", "CRYPTO",
];

const CODES: ReadonlyMap<string, number> = new Map(
  EXCHANGE_NAMES.flatMap((name, code): [string, number][] => (name === "" ? [] : [[name, code]])),
);

/** Code of an exchange name, or 0 when the name is not one of {@link ExchangeName}. */
export function exchangeCode(name: string): number {
  return typeof name === "string" ? CODES.get(name) ?? 0 : 0;
}

/** Name of an exchange code, or undefined when the code is not 1..14. */
export function exchangeName(code: number): ExchangeName | undefined {
  // Only a number: "5", 5n or [5] would compare (or coerce) their way to an exchange.
  return typeof code === "number" && Number.isInteger(code) && code >= 1 && code <= L.EXCHANGE_COUNT ? (EXCHANGE_NAMES[code] as ExchangeName) : undefined;
}
