/** Euler–Mascheroni constant γ. */
const EULER_GAMMA = 0.5772156649015329;

/**
 * c(n), the average path length of an unsuccessful search in a binary search tree of n points
 * (Liu, Ting & Zhou 2008, eq. 1): c(n) = 2 H(n − 1) − 2 (n − 1) / n, with c(1) = 0 and c(2) = 1.
 * It normalizes isolation depths and credits a leaf still holding n points with the depth a
 * fully grown subtree would have added. The harmonic number is approximated by H(i) ≈ ln i + γ,
 * exactly as scikit-learn's `_average_path_length`, so depths agree with it.
 */
export function averagePathLength(n: number): number {
  if (n <= 1) return 0;
  if (n === 2) return 1;
  return 2 * (Math.log(n - 1) + EULER_GAMMA) - (2 * (n - 1)) / n;
}
