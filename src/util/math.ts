/** Greatest common divisor of two non-negative integers. @internal */
export function gcd(a: number, b: number): number {
  while (b) [a, b] = [b, a % b];
  return a;
}
