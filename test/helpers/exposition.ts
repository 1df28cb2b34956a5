// Prometheus text checked by real Prometheus code, not by our own reading of the format:
//   - the reference Python client's parser (Debian: apt-get install -y python3-prometheus-client);
//   - `promtool check metrics` (Debian: apt-get install -y prometheus), Go's parser plus the
//     naming-convention linter.
// Missing tools fail the tests that need them (they do not skip).
import { spawn, spawnSync } from "node:child_process";
import { existsSync } from "node:fs";

/** promtool's path (TICKWIRE_PROMTOOL overrides). */
export const PROMTOOL = process.env.TICKWIRE_PROMTOOL ?? "/usr/bin/promtool";

/** One sample as the Python parser read it; a value that is not finite comes as "nan", "inf" or "-inf". */
export interface ParsedSample {
  readonly name: string;
  readonly labels: Record<string, string>;
  readonly value: number | string;
}

/** One metric family as the Python parser read it (a counter's name without `_total`). */
export interface ParsedFamily {
  readonly name: string;
  readonly type: string;
  readonly help: string;
  readonly samples: ParsedSample[];
}

export type ParseResult = { readonly families: ParsedFamily[]; readonly error?: undefined } | { readonly error: string; readonly families?: undefined };

const PARSE_SCRIPT = `
import json, math, sys
from prometheus_client.parser import text_string_to_metric_families
def value(v):
    return v if math.isfinite(v) else str(v)
out = []
for text in json.load(sys.stdin):
    try:
        out.append({"families": [
            {"name": f.name, "type": f.type, "help": f.documentation,
             "samples": [{"name": s.name, "labels": s.labels, "value": value(s.value)} for s in f.samples]}
            for f in text_string_to_metric_families(text)]})
    except Exception as e:
        out.append({"error": "%s: %s" % (type(e).__name__, e)})
json.dump(out, sys.stdout)
`;

let python: string | undefined;

/** A python3 that has prometheus_client's parser (TICKWIRE_PYTHON, python3, /usr/bin/python3), or an error saying how to get one. */
export function pythonWithPrometheusClient(): string {
  if (python !== undefined) return python;
  const candidates = [process.env.TICKWIRE_PYTHON, "python3", "/usr/bin/python3"].filter((p): p is string => !!p);
  for (const candidate of candidates) {
    const r = spawnSync(candidate, ["-c", "from prometheus_client.parser import text_string_to_metric_families"], { timeout: 10_000 });
    if (r.status === 0) return (python = candidate);
  }
  throw new Error(`no python3 with prometheus_client (tried ${candidates.join(", ")}): apt-get install -y python3-prometheus-client`);
}

function run(command: string, args: string[], input: string, timeoutMs = 60_000): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ["pipe", "pipe", "pipe"], timeout: timeoutMs });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
    child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
    child.stdin.on("error", () => {}); // a tool that exits early closes its stdin: the exit code tells
    child.stdin.end(input);
  });
}

/** Parses each text with the reference Python client's parser (one python process for all). */
export async function parseWithPython(texts: readonly string[]): Promise<ParseResult[]> {
  const r = await run(pythonWithPrometheusClient(), ["-c", PARSE_SCRIPT], JSON.stringify(texts));
  if (r.code !== 0) throw new Error(`python parser run failed (${r.code}): ${r.stderr.slice(0, 2000)}`);
  return JSON.parse(r.stdout) as ParseResult[];
}

/** `promtool check metrics` on `text`: exit code and everything it printed (empty when clean). */
export async function promtoolCheck(text: string): Promise<{ code: number | null; output: string }> {
  if (!existsSync(PROMTOOL)) throw new Error(`${PROMTOOL} is missing: apt-get install -y prometheus (or set TICKWIRE_PROMTOOL)`);
  const r = await run(PROMTOOL, ["check", "metrics"], text);
  return { code: r.code, output: (r.stdout + r.stderr).trim() };
}

/** The families by name. */
export function byName(families: readonly ParsedFamily[]): Map<string, ParsedFamily> {
  return new Map(families.map((f) => [f.name, f]));
}
