export function add(a, b) { return a + b; }
export const PI = 3.14;
export let counter = 0;
export function bump() { counter += 1; return counter; }
export default class Calculator {
  twice(n) { return add(n, n); }
}
