/**
 * The tranches' names as people read them (the CLI's tables and the HTML report: one table), and a
 * step's label: its position in its waterfall, counted from 1, and its tranche ("1. insurance fund";
 * "group 2, 1. members' default fund" for the first step of the second group of markets).
 */
import type { StepInfo, TrancheKind } from './config.js';

export const TRANCHE_LABELS: Readonly<Record<TrancheKind, string>> = {
  insuranceFund: 'insurance fund',
  backstopVault: 'backstop vault',
  adl: 'auto-deleveraging (ADL)',
  socializeFunding: 'socialized through funding',
  haircutGains: 'haircut of winners\' gains',
  haircutDeposits: 'haircut of deposits',
  haircutVaultShares: 'haircut of vault shares',
  defaulterFund: 'defaulter\'s contribution',
  operatorCapital: 'operator capital',
  membersFund: 'members\' default fund',
  assessments: 'assessments on members',
};

/** "1. insurance fund"; a step of group g of markets (waterfall g >= 1) is "group g, 1. ...". */
export function stepLabel(s: StepInfo): string {
  return `${s.waterfall > 0 ? `group ${s.waterfall}, ` : ''}${s.step + 1}. ${TRANCHE_LABELS[s.kind]}`;
}
