// A seeded generator (xorshift32), so a failing fault run can be repeated with FAULTS_SEED.
export interface Random {
  seed: number;
  int(min: number, max: number): number;
}

export function seededRandom(seed: number): Random {
  let x = seed >>> 0 || 1;
  const next = () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 2 ** 32;
  };
  return { seed, int: (min, max) => min + Math.floor(next() * (max - min + 1)) };
}
