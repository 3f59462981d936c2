/**
 * The ABI: every table the TypeScript side keeps (column ids, status and field codes, name tables,
 * sentinels, the names of the record fields it reads) against the core's own ABI table
 * (`abiTable()`, read through an engine's internal handle), and that table against the core's
 * sources (every `export enum` of assembly/, parsed as text), so neither can drift. Name tables are
 * compared as name -> code maps, which fails both for a name missing on either side and for a code
 * that differs.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AUDIT_ROLES, FieldId, Health, NO_ISOLATED, NO_MARKET, StatusCode, STEP_METRICS, TRANCHE_KINDS, type RiskEngine } from '../../dist/src/node.js';
import { ADL_RANKINGS, CURVE_KIND, CUSTOM_RANKING, KIND_NAMES, RANKINGS, STEP_RANKINGS } from '../../dist/src/abi/codes.js';
import { Column } from '../../dist/src/abi/columns.js';
import { internalsOf } from '../../dist/src/abi/internals.js';
import { ENUM_MEMBERS, LIMITS, parseAbi, RECORD_FIELDS, type Abi } from '../../dist/src/abi/records.js';
import { NO_ACCOUNT, NO_DEFICIT, NO_STEP } from '../../dist/src/waterfall/audit.js';
import { createEngine } from '../support/engine.js';

const ASSEMBLY = fileURLToPath(new URL('../../assembly/', import.meta.url));

/** Every .ts file under assembly/ (the core's folders may move: files are found, not named). */
function assemblyFiles(dir = ASSEMBLY): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? assemblyFiles(path) : path.endsWith('.ts') ? [path] : [];
  });
}

/** `export const NAME: type = <expression>;` of all assembly files, evaluated where they are integer expressions. */
function assemblyConstants(texts: string[]): Map<string, number> {
  const consts = new Map<string, number>();
  const pending = texts.flatMap((t) => [...t.matchAll(/export const (\w+)\s*:\s*\w+\s*=\s*([^;]+);/g)].map(([, k, v]) => [k!, v!] as const));
  // Constants may name each other: evaluate in rounds until nothing more resolves.
  for (let changed = true; changed;) {
    changed = false;
    for (const [name, expression] of pending) {
      if (consts.has(name)) continue;
      const value = evaluate(expression, consts);
      if (value !== undefined) { consts.set(name, value); changed = true; }
    }
  }
  return consts;
}

/** An integer expression of literals, known constants, + - * ( ) << and >>; undefined if it is anything else. */
function evaluate(expression: string, consts: Map<string, number>): number | undefined {
  const text = expression.replace(/\b[A-Z_][A-Z0-9_]*\b/g, (name) => (consts.has(name) ? String(consts.get(name)) : name)).replace(/<\w+>/g, '');
  if (!/^[\s\d+\-*()x0-9a-fA-F<>]*$/.test(text) || /[A-Za-z]/.test(text.replace(/0x[0-9a-fA-F]+/g, ''))) return undefined;
  const value = Function(`"use strict"; return (${text});`)() as unknown;
  return typeof value === 'number' && Number.isSafeInteger(value) ? value : undefined;
}

/** Every `export enum Name { ... }` of the core's sources, as name -> value maps (implicit values counted on). */
function assemblyEnums(): Map<string, Record<string, number>> {
  const texts = assemblyFiles().map((f) => readFileSync(f, 'utf8'));
  const consts = assemblyConstants(texts);
  const enums = new Map<string, Record<string, number>>();
  for (const text of texts) {
    for (const [, name, body] of text.matchAll(/export enum (\w+)\s*\{([^}]*)\}/g)) {
      const members: Record<string, number> = {};
      let next = 0;
      for (const entry of body!.replace(/\/\/[^\n]*|\/\*[\s\S]*?\*\//g, '').split(',')) {
        const [key, expression] = entry.split('=').map((s) => s.trim());
        if (!key) continue;
        const value = expression === undefined ? next : evaluate(expression, consts);
        if (value === undefined) throw new Error(`enum ${name}: cannot evaluate ${key} = ${expression}`);
        members[key] = value;
        next = value + 1;
      }
      expect(enums.has(name!), `enum ${name} is declared twice under assembly/`).toBe(false);
      enums.set(name!, members);
    }
  }
  return enums;
}

/** One table of the core's ABI table as an object. */
function table(abi: Abi, key: string): Record<string, number> {
  const t = abi.tables.get(key);
  expect(t, `the ABI table has ${key}`).toBeDefined();
  return Object.fromEntries(t!);
}

/** A name table (position = code) as a name -> code map. */
const codesOf = (names: readonly string[]): Record<string, number> => Object.fromEntries(names.map((n, i) => [n, i]));
/** The core's PascalCase member names as TypeScript spells them. */
const camel = (t: Record<string, number>): Record<string, number> => Object.fromEntries(Object.entries(t).map(([k, v]) => [k[0]!.toLowerCase() + k.slice(1), v]));

const engines: RiskEngine[] = [];
let abis: [string, Abi][] = [];

beforeAll(async () => {
  engines.push(await createEngine(), await createEngine({ release: true }));
  abis = [['debug', internalsOf(engines[0]!).raw.abi], ['release', internalsOf(engines[1]!).raw.abi]];
});
afterAll(() => { for (const e of engines) e.dispose(); });

describe('abi: the core\'s table against its sources', () => {
  it('abi: every member of every export enum XRecord in the core\'s records.ts is in the table with its value, and nothing else is', () => {
    const enums = assemblyEnums();
    const records = [...enums].filter(([name]) => name.endsWith('Record'));
    expect(records.length).toBeGreaterThan(15);
    const recordFile = assemblyFiles().filter((f) => /export enum \w+Record\b/.test(readFileSync(f, 'utf8')));
    expect(recordFile.map((f) => f.split(/[\\/]/).pop())).toEqual(['records.ts']);
    for (const [, abi] of abis) {
      for (const [name, members] of records) expect(table(abi, `record ${name.slice(0, -'Record'.length)}`), name).toEqual(members);
      const tables = [...abi.tables.keys()].filter((k) => k.startsWith('record '));
      expect(tables.sort()).toEqual(records.map(([name]) => `record ${name.slice(0, -'Record'.length)}`).sort());
    }
  });

  it('abi: every enum of the table matches the core\'s export enum of that name (Column without its Count sentinel)', () => {
    const enums = assemblyEnums();
    for (const [, abi] of abis) {
      const names = [...abi.tables.keys()].filter((k) => k.startsWith('enum ')).map((k) => k.slice('enum '.length));
      expect(names.length).toBeGreaterThan(10);
      for (const name of names) {
        const source = { ...enums.get(name) };
        expect(enums.has(name), `export enum ${name} under assembly/`).toBe(true);
        if (name === 'Column') {
          expect(source.Count).toBe(Object.keys(source).length - 1);
          delete source.Count;
        }
        expect(table(abi, `enum ${name}`), name).toEqual(source);
      }
    }
  });

  it('abi: the limits are the core\'s constants', () => {
    const consts = assemblyConstants(assemblyFiles().map((f) => readFileSync(f, 'utf8')));
    const named: Record<string, string> = {
      maxSteps: 'MAX_STEPS', maxBackstop: 'MAX_BACKSTOP', maxMembers: 'MAX_MEMBERS', maxProviders: 'MAX_PROVIDERS', maxTiers: 'MAX_TIERS',
      maxMarkets: 'MAX_MARKETS', ioSmall: 'IO_SMALL', isolatedTag: 'ISOLATED_TAG', metrics: 'METRICS', trancheKinds: 'TRANCHE_KINDS',
      adlInputRows: 'ADL_INPUT_ROWS', auditRows: 'AUDIT_ROWS', priceRows: 'PRICE_ROWS',
    };
    // Constants whose value is not an integer expression of literals and constants are left out.
    const found = Object.entries(named).filter(([, constant]) => consts.has(constant));
    expect(found.length).toBeGreaterThanOrEqual(10);
    for (const [, abi] of abis) {
      const limits = table(abi, 'const Limits');
      for (const [key, constant] of found) expect(limits[key], `${key} = ${constant}`).toBe(consts.get(constant));
      expect(limits.none).toBe(0xffffffff);
    }
  });
});

describe('abi: the TypeScript tables against the core\'s table', () => {
  it('abi: every record field, enum member and limit the TypeScript side reads exists, with the value it parsed', () => {
    for (const [, abi] of abis) {
      for (const [record, fields] of Object.entries(RECORD_FIELDS)) {
        const t = table(abi, `record ${record}`);
        for (const f of [...fields, 'BYTES']) {
          expect(t[f], `${record}.${f}`).toBeTypeOf('number');
          expect((abi.records as Record<string, Record<string, number>>)[record]![f]).toBe(t[f]);
        }
      }
      for (const [name, members] of Object.entries(ENUM_MEMBERS)) {
        const t = table(abi, `enum ${name}`);
        for (const m of members) expect((abi.enums as Record<string, Record<string, number>>)[name]![m], `${name}.${m}`).toBe(t[m]);
      }
      const limits = table(abi, 'const Limits');
      for (const l of LIMITS) expect(abi.limits[l], l).toBe(limits[l]);
    }
  });

  it('abi: a table without a name the TypeScript side reads is refused, naming it', () => {
    const [, abi] = abis[0]!;
    const text = [...abi.tables].map(([key, t]) => `${key} ${[...t].map(([k, v]) => `${k}:${v}`).join(' ')}`).join('\n');
    expect(parseAbi(text).records.Market.mark).toBe(abi.records.Market.mark);
    expect(() => parseAbi(text.replace(/ oiLong:\d+/, ''))).toThrow(/oiLong in record Market/);
    expect(() => parseAbi(text.replace(/^record SimHeader .*$/m, ''))).toThrow(/record SimHeader/);
    expect(() => parseAbi(text.replace(/ isolatedTag:\d+/, ''))).toThrow(/isolatedTag in const Limits/);
    expect(() => parseAbi(text.replace(/ Custom:\d+/, ''))).toThrow(/Custom in enum Ranking/);
  });

  it('abi: Column matches the core\'s Column exactly', () => {
    for (const [, abi] of abis) expect({ ...Column }).toEqual(table(abi, 'enum Column'));
  });

  it('abi: every status and field code of src/errors.ts, and Health, match the core\'s', () => {
    for (const [, abi] of abis) {
      expect({ ...StatusCode }).toEqual(table(abi, 'enum Status'));
      expect({ ...FieldId }).toEqual(table(abi, 'enum Field'));
      expect({ ...Health }).toEqual(table(abi, 'enum Health'));
    }
  });

  it('abi: CURVE_KIND is CurveKind, KIND_NAMES is RowKind, TRANCHE_KINDS is Tranche, AUDIT_ROLES is Role', () => {
    for (const [, abi] of abis) {
      expect({ ...CURVE_KIND }).toEqual(camel(table(abi, 'enum CurveKind')));
      expect(codesOf(KIND_NAMES)).toEqual(camel(table(abi, 'enum RowKind')));
      expect(codesOf(TRANCHE_KINDS)).toEqual(camel(table(abi, 'enum Tranche')));
      expect(TRANCHE_KINDS.length).toBe(abi.limits.trancheKinds);
      expect(codesOf(AUDIT_ROLES)).toEqual(camel(table(abi, 'enum Role')));
    }
  });

  it('abi: the ranking list is Ranking; the caller\'s and the steps\' names are its own', () => {
    for (const [, abi] of abis) {
      expect(codesOf(RANKINGS)).toEqual(camel(table(abi, 'enum Ranking')));
      expect(CUSTOM_RANKING).toBe(abi.enums.Ranking.Custom);
    }
    expect(RANKINGS.slice(0, ADL_RANKINGS.length)).toEqual([...ADL_RANKINGS]);
    expect([...STEP_RANKINGS].sort()).toEqual(RANKINGS.filter((r) => r !== 'custom').sort());
  });

  it('abi: STEP_METRICS is Metric (covered per tranche from Covered on), METRICS long', () => {
    for (const [, abi] of abis) {
      const metric = table(abi, 'enum Metric');
      const tranche = table(abi, 'enum Tranche');
      const expected: Record<string, number> = {};
      for (const [name, code] of Object.entries(metric)) if (name !== 'Covered') expected[name[0]!.toLowerCase() + name.slice(1)] = code;
      for (const [name, code] of Object.entries(tranche)) expected[`covered${name}`] = metric.Covered! + code;
      // The TypeScript names carry their unit: a Quote suffix on amounts.
      expect(Object.fromEntries(STEP_METRICS.map((m, k) => [m.replace(/Quote$/, ''), k]))).toEqual(expected);
      expect(STEP_METRICS.length).toBe(abi.limits.metrics);
    }
  });

  it('abi: SimArray names the arrays the simulation reads', () => {
    for (const [, abi] of abis) {
      const t = table(abi, 'enum SimArray');
      for (const name of ENUM_MEMBERS.SimArray) expect(abi.enums.SimArray[name]).toBe(t[name]);
      expect(new Set(Object.values(t)).size).toBe(Object.keys(t).length);
    }
  });

  it('abi: the sentinels of the views and the audit log, and the i128 convention, are the core\'s', () => {
    for (const [, abi] of abis) {
      expect(NO_MARKET).toBe(abi.limits.noMarket);
      expect(NO_ISOLATED).toBe(abi.limits.none);
      const limits = table(abi, 'const Limits');
      expect(NO_STEP).toBe(limits.noStep);
      expect([NO_ACCOUNT, NO_DEFICIT]).toEqual([limits.none, limits.none]);
      // i128() reads the high word one i64 after the low word.
      expect(limits.i128Hi).toBe(BigInt64Array.BYTES_PER_ELEMENT);
    }
  });
});
