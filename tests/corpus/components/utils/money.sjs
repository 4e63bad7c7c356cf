export function cents(n) {
  return (n / 100).toFixed(2);
}
