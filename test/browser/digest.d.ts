// Types for digest.js (the plain-JS twin of test/support/digest.ts).
export { Fnv1a64, fnv1a64, digestEngine, type DigestSource } from '../support/digest.js';
