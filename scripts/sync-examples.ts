// Makes the code blocks of README.md and docs/*.md show the runnable files under examples/.
// A block is tied to its file by a marker on the line before its fence:
//
//   <!-- example: examples/ring.ts -->
//   ```ts
//   …the file's content, exactly…
//   ```
//
// `tsx scripts/sync-examples.ts` rewrites every marked block from its file;
// `tsx scripts/sync-examples.ts --check` changes nothing and exits 1 when a block is stale, a
// marker names a missing file, or a TypeScript/JavaScript block has no marker
// (test/examples.test.ts runs the same check). json, sh and diagram blocks are left alone.
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

/** Fence languages whose blocks must be examples. */
export const CODE_LANGUAGES: ReadonlySet<string> = new Set(["ts", "typescript", "js", "javascript", "mjs", "cjs", "tsx", "jsx"]);
const MARKER = /^<!--\s*example:\s*(\S+)\s*-->\s*$/;
const FENCE_OPEN = /^```([\w-]*)\s*$/;
const FENCE_CLOSE = /^```\s*$/;

/** One fenced code block of a Markdown file. */
export interface CodeBlock {
  /** Fence language ("" when none). */
  language: string;
  /** 1-based line of the opening fence. */
  line: number;
  /** The path the marker before it names (relative to the repository root), if any. */
  example: string | undefined;
  /** The lines between the fences. */
  body: string;
  /** Line indexes (0-based) of the first body line and of the closing fence. */
  start: number;
  end: number;
}

/** The fenced blocks of `markdown`, with their markers. */
export function codeBlocks(markdown: string): CodeBlock[] {
  const lines = markdown.split("\n");
  const blocks: CodeBlock[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = FENCE_OPEN.exec(lines[i]!);
    if (!open) continue;
    let end = i + 1;
    while (end < lines.length && !FENCE_CLOSE.test(lines[end]!)) end++;
    if (end === lines.length) throw new Error(`line ${i + 1}: a code fence that is never closed`);
    const marker = i > 0 ? MARKER.exec(lines[i - 1]!) : null;
    blocks.push({ language: open[1]!, line: i + 1, example: marker?.[1], body: lines.slice(i + 1, end).join("\n"), start: i + 1, end });
    i = end;
  }
  return blocks;
}

/** The Markdown files whose blocks are checked: README.md and docs/*.md. */
export function docFiles(root: string): string[] {
  const docs = join(root, "docs");
  const inDocs = existsSync(docs) ? readdirSync(docs).filter((f) => f.endsWith(".md")).sort().map((f) => join(docs, f)) : [];
  return [join(root, "README.md"), ...inDocs];
}

/** Text of example `path` as a block shows it: the file without its final newline. */
function exampleText(root: string, path: string): string | undefined {
  const file = resolve(root, path);
  if (!file.startsWith(join(root, "examples") + "/") || !existsSync(file)) return undefined;
  return readFileSync(file, "utf8").replace(/\n$/, "");
}

/**
 * Syncs one Markdown text: every marked block gets its file's content. Returns the new text
 * and what is wrong (unmarked code blocks, missing files); `stale` lists blocks that changed.
 */
export function syncMarkdown(markdown: string, root: string): { text: string; problems: string[]; stale: string[] } {
  const lines = markdown.split("\n");
  const problems: string[] = [];
  const stale: string[] = [];
  // Replace from the last block up, so earlier line indexes stay valid.
  for (const block of codeBlocks(markdown).reverse()) {
    if (block.example === undefined) {
      if (CODE_LANGUAGES.has(block.language)) problems.push(`line ${block.line}: a \`\`\`${block.language} block without an "<!-- example: examples/… -->" marker`);
      continue;
    }
    const text = exampleText(root, block.example);
    if (text === undefined) {
      problems.push(`line ${block.line}: the marker names ${block.example}, which is not a file under examples/`);
      continue;
    }
    if (text === block.body) continue;
    stale.push(`line ${block.line}: ${block.example}`);
    lines.splice(block.start, block.end - block.start, ...text.split("\n"));
  }
  return { text: lines.join("\n"), problems: problems.reverse(), stale: stale.reverse() };
}

function main(): void {
  const root = fileURLToPath(new URL("..", import.meta.url)).replace(/\/$/, "");
  const check = process.argv.includes("--check");
  let bad = 0;
  for (const file of docFiles(root)) {
    const name = relative(root, file);
    const original = readFileSync(file, "utf8");
    const { text, problems, stale } = syncMarkdown(original, root);
    for (const p of problems) console.error(`${name}: ${p}`);
    bad += problems.length;
    if (stale.length === 0) continue;
    if (check) {
      for (const s of stale) console.error(`${name}: ${s} differs from its file`);
      bad += stale.length;
    } else {
      writeFileSync(file, text);
      for (const s of stale) console.log(`${name}: ${s} updated`);
    }
  }
  if (bad > 0) {
    console.error(check ? `${bad} problem(s): run \`npm run examples:sync\` for stale blocks; mark or move the others` : `${bad} problem(s) left`);
    process.exit(1);
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) main();
