import { relative, sep } from "node:path";
import { fileURLToPath } from "node:url";

/** The key a local `tickwire serve` with no key configured accepts (loopback hosts only), and `tickwire tail`'s default. */
export const DEMO_API_KEY = "tickwire-demo-key";

/**
 * How to run the tickwire command from here, for the lines the CLI prints: `npx tickwire` where
 * the package is installed (its bin is linked into node_modules/.bin), `node bin/tickwire.mjs`
 * in a clone of the repository — there `npx tickwire` would fetch and build the package again.
 */
export function tickwireCommand(): string {
  const bin = fileURLToPath(new URL("../../bin/tickwire.mjs", import.meta.url));
  if (bin.split(sep).includes("node_modules")) return "npx tickwire";
  const rel = relative(process.cwd(), bin);
  return `node ${rel.includes(" ") ? JSON.stringify(rel) : rel}`;
}
