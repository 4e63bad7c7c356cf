Page({
  data: { items: ['a', 'b'] },
  drop() { this.setData({ items: this.data.items.slice(1) }); },
  add() { this.setData({ items: this.data.items.concat(['c']) }); }
});
