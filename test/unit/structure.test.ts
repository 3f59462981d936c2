/**
 * The architecture, checked: the rules that keep the seam between the core and the API one room on
 * each side (README "Layout"). Each test reads the sources as text.
 *
 *   - no import circles, in assembly/ or in src/ (type imports count), and the core's stage folders
 *     layered (book, margin, liquidation, waterfall, economics, simulation: each imports only those before it;
 *     the files at the engine's root, state, funds and lifecycle, import none);
 *   - only src/abi/ touches the core's exports, and the core is instantiated one way: by
 *     @assemblyscript/loader (a runtime dependency at the compiler's version), which only
 *     src/abi/loader.ts imports;
 *   - no byte offset of a core record is written as a number in src/ or in engine code: both sides
 *     use the names of assembly/abi/records.ts (TypeScript reads them from the core's ABI table);
 *   - no source file past 800 lines.
 */
import { readdirSync, readFileSync, statSync, existsSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

function sources(folder: string): string[] {
  const out: string[] = [];
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) walk(path);
      else if (path.endsWith('.ts') && !path.endsWith('.d.ts')) out.push(path);
    }
  };
  walk(join(ROOT, folder));
  return out.sort();
}

const text = (path: string): string => readFileSync(path, 'utf8');
const rel = (path: string): string => relative(ROOT, path);

/** Each file's relative imports (type-only imports included), resolved to files. */
function importGraph(files: string[]): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const file of files) {
    const imports = ts.preProcessFile(text(file), true, true).importedFiles.map((i) => i.fileName).filter((s) => s.startsWith('.'));
    const targets = imports.map((s) => {
      const base = resolve(dirname(file), s).replace(/\.js$/, '');
      return [`${base}.ts`, join(base, 'index.ts')].find((p) => existsSync(p));
    });
    graph.set(file, targets.filter((t): t is string => t !== undefined));
  }
  return graph;
}

/** Strongly connected components of more than one file, or a file importing itself (Tarjan). */
function importCircles(graph: Map<string, string[]>): string[][] {
  let next = 0;
  const index = new Map<string, number>(), low = new Map<string, number>(), stack: string[] = [], onStack = new Set<string>();
  const circles: string[][] = [];
  const visit = (v: string): void => {
    index.set(v, next); low.set(v, next++); stack.push(v); onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!index.has(w)) { visit(w); low.set(v, Math.min(low.get(v)!, low.get(w)!)); }
      else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) !== index.get(v)) return;
    const component: string[] = [];
    let w: string;
    do { w = stack.pop()!; onStack.delete(w); component.push(rel(w)); } while (w !== v);
    if (component.length > 1 || graph.get(v)!.includes(v)) circles.push(component.sort());
  };
  for (const v of graph.keys()) if (!index.has(v)) visit(v);
  return circles;
}

/** A DataView read or write whose offset (its first argument) has a number in it. */
const NUMERIC_OFFSET = /\.(get|set)(Big)?(Int|Uint|Float)(8|16|32|64)\(([^,()]|\([^()]*\))*\b\d+\b([^,()]|\([^()]*\))*[,)]/g;

/** Every load<T>(...) and store<T>(...) call with its top-level arguments. */
function memoryAccesses(source: string): { op: 'load' | 'store'; args: string[]; call: string }[] {
  const out: { op: 'load' | 'store'; args: string[]; call: string }[] = [];
  for (const m of source.matchAll(/\b(load|store)<\w+>\(/g)) {
    const args: string[] = [];
    let depth = 0, arg = '', i = m.index + m[0].length;
    for (; i < source.length; i++) {
      const ch = source[i]!;
      if (ch === '(') depth++;
      if (ch === ')' && depth-- === 0) break;
      if (ch === ',' && depth === 0) { args.push(arg.trim()); arg = ''; } else arg += ch;
    }
    args.push(arg.trim());
    out.push({ op: m[1] as 'load' | 'store', args, call: source.slice(m.index, i + 1) });
  }
  return out;
}

describe('structure: one room on each side of the seam', () => {
  it('the circle finder finds a circle (a -> b -> a) and passes a chain (a -> b -> c)', () => {
    expect(importCircles(new Map([['a', ['b']], ['b', ['a']], ['c', []]]))).toHaveLength(1);
    expect(importCircles(new Map([['a', ['b']], ['b', ['c']], ['c', []]]))).toEqual([]);
  });

  it('assembly/ has no import circles', () => {
    expect(importCircles(importGraph(sources('assembly')))).toEqual([]);
  });

  it('src/ has no import circles (type imports included)', () => {
    expect(importCircles(importGraph(sources('src')))).toEqual([]);
  });

  it('the core stages are layered: a stage folder imports only the stages before it, the engine root none', () => {
    const stages = ['book', 'margin', 'liquidation', 'waterfall', 'economics', 'simulation'];
    const stageOf = (file: string): number => stages.indexOf(rel(file).split('/')[2] ?? '');
    const atRoot = (file: string): boolean => /^assembly\/engine\/[^/]+\.ts$/.test(rel(file));
    const graph = importGraph(sources('assembly'));
    const upward = [...graph].flatMap(([file, deps]) => deps
      .filter((dep) => stageOf(dep) >= 0 && (atRoot(file) || (stageOf(file) >= 0 && stageOf(dep) > stageOf(file))))
      .map((dep) => `${rel(file)} -> ${rel(dep)}`));
    expect(upward).toEqual([]);
    expect(stages.every((s) => sources(`assembly/engine/${s}`).length > 0)).toBe(true);
  });

  it('only src/abi/ calls the core: no other file reaches the exports or the instance', () => {
    const outside = sources('src').filter((f) => !rel(f).startsWith('src/abi/'))
      .filter((f) => /\bexports\s*\.\s*\w+|CoreExports|instance\.exports/.test(text(f)))
      .map(rel);
    expect(outside).toEqual([]);
  });

  it('the loader is the one instantiation path: only src/abi/loader.ts imports @assemblyscript/loader; no file instantiates by itself', () => {
    const files = [...sources('src'), ...sources('bench')];
    const importers = files.filter((f) => ts.preProcessFile(text(f), true, true).importedFiles.some((i) => i.fileName.startsWith('@assemblyscript/loader')));
    expect(importers.map(rel)).toEqual(['src/abi/loader.ts']);
    const direct = files.filter((f) => /WebAssembly\s*\.\s*(instantiate|instantiateStreaming)\b|new\s+WebAssembly\s*\.\s*Instance\b/.test(text(f)));
    expect(direct.map(rel)).toEqual([]);
    expect(text(join(ROOT, 'src/abi/loader.ts'))).toMatch(/\bawait instantiate\(module( as WebAssembly\.Module)?, imports\)/);
    // A runtime dependency (the browser bundles inline it; Node imports it), at the compiler's version.
    const pkg = JSON.parse(text(join(ROOT, 'package.json'))) as { dependencies?: Record<string, string>; devDependencies: Record<string, string> };
    expect(pkg.dependencies?.['@assemblyscript/loader']).toBe(pkg.devDependencies['assemblyscript']);
  });

  it('src/ writes no byte offset of a record as a number: DataView reads and writes go through the ABI table', () => {
    const found = sources('src').flatMap((f) => (text(f).match(NUMERIC_OFFSET) ?? []).map((m) => `${rel(f)}: ${m}`));
    expect(found).toEqual([]);
  });

  it('the DataView offset finder finds a number in the offset, with or without further arguments, and passes names', () => {
    const found = 'v.getUint8(74); v.setBigInt64(o + 8, x, true); v.getUint8(at.decimals); v.getUint32(at.rows, true)'.match(NUMERIC_OFFSET);
    expect(found).toEqual(['.getUint8(74)', '.setBigInt64(o + 8,']);
  });

  it('engine code reads no record at a numeric offset: load/store offsets are names of abi/records.ts', () => {
    // The offset is load<T>(ptr, offset)'s second argument and store<T>(ptr, value, offset)'s third.
    const found = sources('assembly/engine').flatMap((f) => memoryAccesses(text(f))
      .filter(({ op, args }) => /^\d+$/.test(args[op === 'load' ? 1 : 2] ?? ''))
      .map(({ call }) => `${rel(f)}: ${call}`));
    expect(found).toEqual([]);
  });

  it('the offset finder reads the offset argument, not the value', () => {
    const calls = memoryAccesses('store<u32>(p, 0); store<i64>(p, f(a, b), 8); load<u8>(q + (i << 2), 74)');
    expect(calls.map((c) => [c.op, c.args.length, c.args.at(-1)])).toEqual([['store', 2, '0'], ['store', 3, '8'], ['load', 2, '74']]);
  });

  it('no source file is longer than 800 lines', () => {
    const long = [...sources('assembly'), ...sources('src')]
      .map((f) => ({ file: rel(f), lines: text(f).split('\n').length }))
      .filter((f) => f.lines > 800);
    expect(long).toEqual([]);
  });
});
