// The package as users meet it: its LICENSE, its declarations compiled by a consumer's strict
// TypeScript project (Node without the DOM lib, Node with it, a browser project without
// @types/node), every file its "exports" names, dependencies that are all used, and an install
// whose every install script has been decided on (so npm prints no allowScripts warning).
import { test } from "uvu";
import * as assert from "uvu/assert";
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url)).replace(/\/$/, "");
const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as {
  name: string; license: string; scripts: Record<string, string>;
  dependencies?: Record<string, string>; devDependencies?: Record<string, string>;
  exports: Record<string, string | Record<string, string>>; allowScripts?: Record<string, boolean>;
};
const TSC = join(root, "node_modules/typescript/bin/tsc");
/** Entries that need Node (worker threads, sockets): checked in Node projects only. Every other entry must also compile in a browser project. */
const NODE_ONLY_ENTRIES = new Set(["./node"]);

/** Runs the repository's tsc with `args`; its output when it fails. */
function tsc(args: string[], cwd = root): { status: number | null; output: string } {
  const r = spawnSync(process.execPath, [TSC, ...args], { cwd, encoding: "utf8", timeout: 120_000 });
  return { status: r.status, output: `${r.stdout ?? ""}${r.stderr ?? ""}${r.error ? String(r.error) : ""}` };
}

test("LICENSE is the MIT licence package.json names, for the tickwire authors", () => {
  assert.is(pkg.license, "MIT");
  const text = readFileSync(join(root, "LICENSE"), "utf8");
  assert.ok(text.startsWith("MIT License\n"), "LICENSE starts with its title");
  assert.match(text, /^Copyright \(c\) 2026 the tickwire authors$/m);
  assert.match(text, /Permission is hereby granted, free of charge/);
});

// One fresh build of the declarations (what `npm run build:ts` ships), laid out as an installed
// package, and consumer projects that import it by name. A fresh build rather than dist/, so
// the test never checks a stale dist/.
test("the declarations compile in strict consumer projects: Node without lib dom, Node with it, a browser without @types/node", () => {
  const tmp = mkdtempSync(join(tmpdir(), "tickwire-package-"));
  try {
    // The package lies in the consumer's node_modules itself (not a link), so that what its
    // declarations import resolves the way it does for users: from the consumer's node_modules.
    const consumer = join(tmp, "consumer");
    const pkgDir = join(consumer, "node_modules", pkg.name);
    mkdirSync(pkgDir, { recursive: true });
    writeFileSync(join(pkgDir, "package.json"), JSON.stringify(pkg, null, 2));
    const build = tsc(["-p", "tsconfig.json", "--outDir", join(pkgDir, "dist"), "--pretty", "false"]);
    assert.is(build.status, 0, `npm run build:ts's compile fails:\n${build.output}`);
    if (existsSync(join(root, "build"))) symlinkSync(join(root, "build"), join(pkgDir, "build"));

    // Every file "exports" names is there (dist/ from the fresh build; build/tickwire.wasm from build:wasm).
    const entries: { subpath: string; types: string }[] = [];
    const missing: string[] = [];
    for (const [subpath, target] of Object.entries(pkg.exports)) {
      const targets = typeof target === "string" ? { default: target } : target;
      for (const [condition, file] of Object.entries(targets)) {
        if (!existsSync(join(pkgDir, file))) missing.push(`exports["${subpath}"].${condition} = ${file}`);
      }
      if (typeof target !== "string" && target.types !== undefined && existsSync(join(pkgDir, target.types))) entries.push({ subpath, types: target.types });
    }
    assert.equal(missing, [], "every file package.json exports exists once built");
    assert.ok(entries.some((e) => e.subpath === ".") && entries.some((e) => e.subpath === "./node"), "the main and node entries have types");

    // What installing tickwire gives a consumer: its dependencies (hoisted, as npm lays them out), not
    // its devDependencies; and the consumer's own @types/node.
    for (const name of [...Object.keys(pkg.dependencies ?? {}), "@types/node"]) {
      mkdirSync(dirname(join(consumer, "node_modules", name)), { recursive: true });
      if (!existsSync(join(consumer, "node_modules", name))) symlinkSync(join(root, "node_modules", name), join(consumer, "node_modules", name));
    }
    writeFileSync(join(consumer, "package.json"), JSON.stringify({ name: "consumer", private: true, type: "module" }));
    const projects = [
      { name: "Node, no DOM lib", lib: ["es2022"], types: ["node"], nodeOnly: true },
      { name: "Node with the DOM lib", lib: ["es2022", "dom"], types: ["node"], nodeOnly: true },
      { name: "browser", lib: ["es2022", "dom"], types: [] as string[], nodeOnly: false },
    ];
    const failures: string[] = [];
    for (const project of projects) {
      for (const { subpath } of entries) {
        if (NODE_ONLY_ENTRIES.has(subpath) && !project.nodeOnly) continue;
        const specifier = pkg.name + subpath.slice(1);
        // One program per entry: a consumer that imports only this entry must get every type it names.
        writeFileSync(join(consumer, "index.ts"), `import * as api from "${specifier}";\nexport type Api = typeof api;\n`);
        writeFileSync(join(consumer, "tsconfig.json"), JSON.stringify({
          compilerOptions: {
            strict: true, target: "es2022", module: "nodenext", moduleResolution: "nodenext",
            lib: project.lib, types: project.types, skipLibCheck: false, noEmit: true,
          },
          files: ["index.ts"],
        }));
        const r = tsc(["-p", ".", "--pretty", "false"], consumer);
        if (r.status !== 0) failures.push(`${project.name}, import "${specifier}":\n${r.output.split(tmp).join("<tmp>")}`);
      }
    }
    assert.ok(failures.length === 0, `\n${failures.join("\n")}`);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});

/** Source files under `dir` (recursive; node_modules skipped). */
function codeFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === "node_modules") continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...codeFiles(path));
    else if (/\.(ts|mts|cts|js|mjs|cjs)$/.test(entry.name) && !entry.name.endsWith(".d.ts")) out.push(path);
  }
  return out;
}

const escapeRegExp = (s: string): string => s.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
/** Whether `text` names package `name` as a module: a string literal that is the name or name/subpath (imports, requires, a resolve redirect like ws7's). */
const namesPackage = (text: string, name: string): boolean => new RegExp(`["'\`]${escapeRegExp(name)}(/[^"'\`\\s]*)?["'\`]`).test(text);

test("every dependency is imported: dependencies by src/ or bin/, devDependencies by the tests, benchmarks, scripts or examples", () => {
  const read = (dirs: string[]) => dirs.flatMap((d) => codeFiles(join(root, d))).map((f) => ({ file: relative(root, f), text: readFileSync(f, "utf8") }));
  const shipped = read(["src", "bin"]);
  const everything = [...shipped, ...read(["test", "bench", "scripts", "examples"])];
  const scripts = Object.values(pkg.scripts).join("\n");
  const tsconfigTypes = (JSON.parse(readFileSync(join(root, "tsconfig.json"), "utf8")).compilerOptions.types ?? []) as string[];
  const used = (name: string, files: { text: string }[]) => files.some((f) => namesPackage(f.text, name));
  const allDeps = { ...pkg.dependencies, ...pkg.devDependencies };
  /** Why a tool (used by scripts or config, not imported) counts as unused; undefined when it is used. */
  const toolUnused = (name: string): string | undefined => {
    if (name === "typescript") return /\btsc\b/.test(scripts) ? undefined : "no script runs tsc";
    if (name === "tsx") return /\btsx\b/.test(scripts) ? undefined : "no script runs it";
    if (name === "assemblyscript") return /\basc\b/.test(scripts) ? undefined : "no script runs asc";
    const typed = name.slice("@types/".length);
    // @types/X belongs to dependencies when the shipped declarations name X's types.
    return (typed === "node" && tsconfigTypes.includes("node")) || (typed in allDeps && used(typed, everything)) ? undefined : `types for ${typed}, which nothing uses`;
  };
  const isTool = (name: string) => ["typescript", "tsx", "assemblyscript"].includes(name) || name.startsWith("@types/");
  const unused: string[] = [];
  for (const [section, names, files, where] of [
    ["dependencies", Object.keys(pkg.dependencies ?? {}), shipped, "src/ or bin/"],
    ["devDependencies", Object.keys(pkg.devDependencies ?? {}), everything, "src/, bin/, test/, bench/, scripts/ or examples/"],
  ] as const) {
    for (const name of names) {
      if (isTool(name)) {
        const why = toolUnused(name);
        if (why !== undefined) unused.push(`${section}: ${name} (${why})`);
      } else if (!used(name, files)) {
        unused.push(`${section}: ${name} (imported by no file in ${where})`);
      }
    }
  }
  assert.equal(unused, []);
});

test("src/ and bin/ import only dependencies and node: builtins (a devDependency is not installed for users)", () => {
  const deps = new Set(Object.keys(pkg.dependencies ?? {}));
  const bad: string[] = [];
  for (const file of [...codeFiles(join(root, "src")), ...codeFiles(join(root, "bin"))]) {
    const text = readFileSync(file, "utf8");
    // Static imports and re-exports (a dynamic import inside a string, like start-worker's tsx bootstrap for .ts workers, is not one).
    for (const m of text.matchAll(/^\s*(?:import|export)\b[^;]*?\bfrom\s*["']([^"']+)["']|^\s*import\s*["']([^"']+)["']/gm)) {
      const spec = (m[1] ?? m[2])!;
      if (spec.startsWith(".") || spec.startsWith("node:")) continue;
      const name = spec.startsWith("@") ? spec.split("/").slice(0, 2).join("/") : spec.split("/")[0]!;
      if (!deps.has(name)) bad.push(`${relative(root, file)}: ${spec}`);
    }
  }
  assert.equal(bad, []);
});

test("every installed package with an install script is approved or denied in allowScripts (npm install prints no warning about it)", () => {
  const lock = JSON.parse(readFileSync(join(root, "package-lock.json"), "utf8")) as { packages: Record<string, { hasInstallScript?: boolean }> };
  const decided = pkg.allowScripts ?? {};
  const undecided: string[] = [];
  for (const [path, entry] of Object.entries(lock.packages)) {
    if (path === "" || !entry.hasInstallScript) continue;
    const name = path.slice(path.lastIndexOf("node_modules/") + "node_modules/".length);
    if (!Object.keys(decided).some((key) => key === name || key.startsWith(`${name}@`))) undecided.push(name);
  }
  assert.equal(undecided, []);
});

test.run();
