/**
 * The core's code tables for names, each written once: the codes are the positions in these lists
 * (or the values of these maps), as the core's enums number them (assembly/abi/status.ts). They are
 * static because types derive from them; test/unit/abi.test.ts checks each against the core's ABI
 * table (`abiTable()`), both ways.
 */

/** Isolated id of a cross row, and market id of a settlement row, in views (the core's NONE and NO_MARKET; a test checks them against its table). */
export const NO_ISOLATED = 0xffffffff;
export const NO_MARKET = 0xffff;

/** ADL rankings by name, in the core's `Ranking` order: the caller's names, then the core's own. */
export const RANKINGS = ['pnl', 'bitmex', 'binance', 'hyperliquid', 'custom', 'randomWalk', 'largest'] as const;
export type RankingCode = (typeof RANKINGS)[number];
/** The rankings an ADL indicator (and a sweep) may name: real venues' rankings. */
export const ADL_RANKINGS = ['pnl', 'bitmex', 'binance', 'hyperliquid'] as const;
/** The rankings an ADL step may name (besides a function, which the core runs as `custom`). */
export const STEP_RANKINGS = [...ADL_RANKINGS, 'randomWalk', 'largest'] as const;
/** The ranking code of a function given by the caller. */
export const CUSTOM_RANKING = RANKINGS.indexOf('custom');
/** A ranking's code, -1 for an unknown name. */
export const rankingCode = (name: unknown): number => RANKINGS.indexOf(name as RankingCode);

/** Kinds of liquidation rows, in the core's `RowKind` order. */
export const KIND_NAMES = ['close', 'transfer', 'settle'] as const;

/** Margin curve kinds, as the core's `CurveKind` numbers them. */
export const CURVE_KIND = { flat: 0, tiers: 1, sizePremium: 2, openInterest: 3 } as const;
