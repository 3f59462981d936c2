/**
 * The core's column ids (assembly/abi/layout.ts `Column`): a static mirror, because ids are used in hot
 * paths. Numbering is append-only; test/unit/abi.test.ts checks it against the core's ABI table.
 */

export const Column = {
  Markets: 0, Tiers: 1,
  AccCollateral: 2, AccPosStart: 3, AccPosLen: 4, AccPosCap: 5, AccFloorPpm: 6, AccFlags: 7,
  AccIsoHead: 8, AccStamp: 9, AccEquity: 10, AccIm: 11, AccMm: 12, AccFree: 13, AccHealth: 14,
  PosSize: 15, PosQuote: 16, PosSnap: 17, PosMarket: 18, PosAccount: 19,
  IsoAccount: 20, IsoMarket: 21, IsoNext: 22, IsoFlags: 23, IsoSize: 24, IsoQuote: 25, IsoSnap: 26,
  IsoCollateral: 27, IsoEquity: 28, IsoIm: 29, IsoMm: 30, IsoFree: 31, IsoHealth: 32,
  IndexStart: 33, IndexEntries: 34, PendingMarket: 35, PendingHolder: 36, Queue: 37, IsoQueue: 38,
  SortIdsA: 39, SortIdsB: 40, SortKeysA: 41, SortKeysB: 42, SortCounts: 43,
  IoU32: 44, IoI64A: 45, IoI64B: 46, MarketStamp: 47, IndexFill: 48,
  AccScratch: 49, FundBalance: 50,
  LogAccount: 51, LogMarket: 52, LogIso: 53, LogKind: 54, LogSize: 55, LogPrice: 56, LogRealized: 57, LogFunding: 58,
  LogLiqFee: 59, LogFundFee: 60, LogSurplus: 61, LogDeficit: 62, LogTransfer: 63,
  DefAccount: 64, DefMarket: 65, DefAmount: 66,
  PriceAccount: 67, PriceMarket: 68, PriceIso: 69, PriceSize: 70, PriceLiq: 71, PriceBank: 72,
  GroupKey: 73, GroupSlot: 74, FundScratch: 75, IsoStamp: 76,
  DefSize: 77, DefPrice: 78, DefOpen: 79, PayId: 80, PayWeight: 81, PayCap: 82, PayWork: 83,
  AuditDeficit: 84, AuditStep: 85, AuditRole: 86, AuditAccount: 87, AuditMarket: 88, AuditAmount: 89, AuditPrice: 90, AuditSize: 91,
  MarketFund: 92, MarketWaterfall: 93, FundWindow: 94, MarketPaid: 95, AdlKey: 96, AdlId: 97, AdlSize: 98, AdlSums: 99, AdlPos: 100, AdlGroups: 101, AdlGroupOf: 102,
  PubAccEquity: 103, PubAccIm: 104, PubAccMm: 105, PubAccFree: 106, PubAccHealth: 107,
  PubIsoAccount: 108, PubIsoMarket: 109, PubIsoEquity: 110, PubIsoIm: 111, PubIsoMm: 112, PubIsoFree: 113, PubIsoHealth: 114,
  AccDirty: 115, IsoDirty: 116,
  PlanAccount: 117, PlanMarket: 118, PlanIso: 119, PlanKind: 120, PlanSize: 121, PlanPrice: 122,
  AdlInputs: 123,
  MarketEcon: 124, FundStake: 125, AccWithdrawable: 126, AccWithdrawLimit: 127, WithdrawQueue: 128, AccQueued: 129,
} as const;
export type Column = (typeof Column)[keyof typeof Column];
