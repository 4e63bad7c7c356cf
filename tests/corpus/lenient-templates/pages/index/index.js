Page({
  data: {
    list: [{ id: 'a', name: 'Apple' }, { id: 'b', name: 'Banana' }],
    n: 2,
    who: 'world',
    price: 3,
  },
  pick(e) { this.setData({ picked: e.currentTarget.dataset.k }); },
});
