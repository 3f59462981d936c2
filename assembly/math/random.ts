/**
 * The seeded generator of simulated paths, and the linear algebra of correlated returns.
 *
 * xoshiro256** (Blackman and Vigna), seeded through splitmix64 from (seed, stream): stream p is path
 * p, so a path's draws do not depend on which worker or shard generates it. Normals come from
 * Marsaglia's polar method and use only wasm arithmetic, `f64.sqrt` and the core's own `Math.log`,
 * so a seed gives the same bits in every engine (nothing comes from the host's math library).
 *
 * State lives in four globals; `seedStream` resets them.
 */

let s0: u64 = 0, s1: u64 = 0, s2: u64 = 0, s3: u64 = 0;
let spare: f64 = 0;
let hasSpare = false;

// @ts-ignore: decorator
@inline function splitmix(x: u64): u64 {
  let z = x + 0x9E3779B97F4A7C15;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EB;
  return z ^ (z >> 31);
}

/** Starts stream `stream` of generator `seed`. */
export function seedStream(seed: u64, stream: u64): void {
  let x = splitmix(seed) ^ splitmix(stream + 0x632BE59BD9B4E019);
  x = splitmix(x); s0 = x;
  x = splitmix(x); s1 = x;
  x = splitmix(x); s2 = x;
  x = splitmix(x); s3 = x | 1; // never all zero
  hasSpare = false;
}

/** The next 64 random bits. */
export function nextU64(): u64 {
  const result = rotl(s1 * 5, 7) * 9;
  const t = s1 << 17;
  s2 ^= s0; s3 ^= s1; s1 ^= s2; s0 ^= s3;
  s2 ^= t;
  s3 = rotl(s3, 45);
  return result;
}

/** Uniform in [0, 1), 53 bits. */
export function uniform(): f64 {
  return <f64>(nextU64() >> 11) * 1.1102230246251565e-16; // 2^-53
}

/** A standard normal (polar method; the second value of each pair is kept for the next call). */
export function normal(): f64 {
  if (hasSpare) { hasSpare = false; return spare; }
  let u: f64 = 0, v: f64 = 0, s: f64 = 0;
  do {
    u = uniform() * 2.0 - 1.0;
    v = uniform() * 2.0 - 1.0;
    s = u * u + v * v;
  } while (s >= 1.0 || s == 0.0);
  const k = Math.sqrt(-2.0 * Math.log(s) / s);
  spare = v * k;
  hasSpare = true;
  return u * k;
}

/**
 * Cholesky factor of the n x n symmetric matrix at `a` (row-major f64), in place: afterwards the
 * lower triangle holds L with L L^T = A and the upper triangle is zero. Returns the first row whose
 * pivot is not positive (the matrix is not positive definite), or -1.
 */
export function cholesky(a: usize, n: u32): i32 {
  for (let j: u32 = 0; j < n; j++) {
    const rowJ = a + <usize>j * n * 8;
    let d = load<f64>(rowJ + (<usize>j << 3));
    for (let k: u32 = 0; k < j; k++) { const x = load<f64>(rowJ + (<usize>k << 3)); d -= x * x; }
    if (!(d > 0.0)) return <i32>j;
    const ljj = Math.sqrt(d);
    store<f64>(rowJ + (<usize>j << 3), ljj);
    for (let i = j + 1; i < n; i++) {
      const rowI = a + <usize>i * n * 8;
      let s = load<f64>(rowI + (<usize>j << 3));
      for (let k: u32 = 0; k < j; k++) s -= load<f64>(rowI + (<usize>k << 3)) * load<f64>(rowJ + (<usize>k << 3));
      store<f64>(rowI + (<usize>j << 3), s / ljj);
    }
    for (let k = j + 1; k < n; k++) store<f64>(rowJ + (<usize>k << 3), 0.0);
  }
  return -1;
}

/** z = L e for the lower-triangular n x n factor at `l` (row-major), e and z f64 vectors. */
export function lowerTimes(l: usize, n: u32, e: usize, z: usize): void {
  for (let i: u32 = 0; i < n; i++) {
    const row = l + <usize>i * n * 8;
    let s: f64 = 0;
    for (let k: u32 = 0; k <= i; k++) s += load<f64>(row + (<usize>k << 3)) * load<f64>(e + (<usize>k << 3));
    store<f64>(z + (<usize>i << 3), s);
  }
}
