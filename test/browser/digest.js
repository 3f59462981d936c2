// The results digest, in plain JS (ESM) so that the browser page and the Node tests import this one
// file (types: digest.d.ts; tests: digest.test.ts, browser.test.ts compares the page's digest with
// Node's). The stream fed to FNV-1a 64: per result column, a tag ('A' account columns, 'I' isolated
// ones, 'Q' / 'q' the risk orders), the column's name, a 0 byte, its byte length (u32 LE) and its
// bytes; then 'S' and the summary's 20 tallies (u32 LE), in SUMMARY_GROUPS and HEALTH_KEYS order.

/** @typedef {ArrayBufferView} Bytes */

const ACCOUNT_COLUMNS = ['equityQuote', 'imQuote', 'mmQuote', 'freeQuote', 'health'];
const ISOLATED_COLUMNS = ['accountId', 'marketId', 'equityQuote', 'imQuote', 'mmQuote', 'freeQuote', 'health'];
const SUMMARY_GROUPS = [['book', 'accounts'], ['book', 'isolated'], ['checked', 'accounts'], ['checked', 'isolated']];
const HEALTH_KEYS = ['healthy', 'belowInitial', 'liquidatable', 'bankrupt', 'inactive'];

/** Incremental FNV-1a 64 (offset basis 0xcbf29ce484222325, prime 0x100000001b3). */
export class Fnv1a64 {
  // Little-endian 16-bit limbs of the state.
  h0 = 0x2325;
  h1 = 0x8422;
  h2 = 0x9ce4;
  h3 = 0xcbf2;

  /** Feeds the bytes a view covers (not the whole buffer). @param {Bytes} view */
  update(view) {
    const bytes = view instanceof Uint8Array ? view : new Uint8Array(view.buffer, view.byteOffset, view.byteLength);
    let h0 = this.h0, h1 = this.h1, h2 = this.h2, h3 = this.h3;
    for (let i = 0; i < bytes.length; i++) {
      h0 ^= bytes[i];
      // h * (2^40 + 0x1b3): the 0x1b3 part limb by limb, the 2^40 part as limbs 0/1 shifted into 2/3.
      const t0 = h0 * 0x1b3;
      let t1 = h1 * 0x1b3;
      let t2 = h2 * 0x1b3 + (h0 << 8);
      const t3 = h3 * 0x1b3 + (h1 << 8);
      t1 += t0 >>> 16;
      h0 = t0 & 0xffff;
      t2 += t1 >>> 16;
      h1 = t1 & 0xffff;
      h3 = (t3 + (t2 >>> 16)) & 0xffff;
      h2 = t2 & 0xffff;
    }
    this.h0 = h0; this.h1 = h1; this.h2 = h2; this.h3 = h3;
    return this;
  }

  /** Feeds one byte. @param {number} value */
  byte(value) {
    return this.update(Uint8Array.of(value & 0xff));
  }

  /** Feeds a u32, little-endian. @param {number} value */
  u32(value) {
    const v = value >>> 0;
    return this.update(Uint8Array.of(v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, v >>> 24));
  }

  /** Feeds an ASCII string's char codes (low byte each). @param {string} value */
  text(value) {
    for (let i = 0; i < value.length; i++) this.byte(value.charCodeAt(i));
    return this;
  }

  /** The state as 16 lower-case hex digits. @returns {string} */
  hex() {
    return [this.h3, this.h2, this.h1, this.h0].map((limb) => limb.toString(16).padStart(4, '0')).join('');
  }
}

/** FNV-1a 64 of some bytes, as 16 hex digits. @param {Bytes} bytes @returns {string} */
export function fnv1a64(bytes) {
  return new Fnv1a64().update(bytes).hex();
}

/** @param {Fnv1a64} h @param {string} tag @param {string} name @param {Bytes} view */
function part(h, tag, name, view) {
  h.text(tag).text(name).byte(0).u32(view.byteLength).update(view);
}

/** Digest of an engine's results (call after check()); 16 hex digits. @returns {string} */
export function digestEngine(engine) {
  const h = new Fnv1a64();
  // Each view is read before the next call: views are valid only until the next call on the engine.
  const accounts = engine.resultsView();
  for (const name of ACCOUNT_COLUMNS) part(h, 'A', name, accounts[name]);
  const isolated = engine.isolatedResultsView();
  for (const name of ISOLATED_COLUMNS) part(h, 'I', name, isolated[name]);
  part(h, 'Q', 'riskOrder', engine.riskOrderView());
  part(h, 'q', 'riskOrderIsolated', engine.riskOrderView({ isolated: true }));
  const summary = engine.summary();
  h.text('S');
  for (const [scope, kind] of SUMMARY_GROUPS) {
    const counts = summary[scope][kind];
    for (const key of HEALTH_KEYS) h.u32(counts[key]);
  }
  return h.hex();
}
