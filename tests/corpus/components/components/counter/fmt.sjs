export function tag(label, count) {
  return label.toUpperCase() + '#' + count;
}
