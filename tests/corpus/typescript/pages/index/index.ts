import makeCart, { Cart } from '../../utils/cart';
import type { Item } from '../../utils/item';
import { describe, Level } from '../../utils/levels';
import { shout } from 'typed-lib';

const legacy: () => string = require('../../utils/legacy');

type Data = {
  level: string;
  total: number;
  owner: string;
  legacy: string;
  npm: string;
  launched: number;
};

let cart: Cart;

Page<Data, { addOne(): void; openDetail(): void }>({
  data: { level: '', total: 0, owner: '', legacy: '', npm: '', launched: 0 } satisfies Data,
  onLoad(): void {
    cart = makeCart('ada');
    const coffee: Item = { name: 'coffee', price: 5, qty: 2 };
    cart.add(coffee).add({ name: 'cake', price: 4 });
    this.setData({
      level: describe(Level.Silver),
      total: cart.total(),
      owner: cart.describe(),
      legacy: legacy(),
      npm: shout('typed'),
      launched: getApp<{ globalData: { launched: number } }>().globalData.launched,
    });
  },
  addOne(): void {
    cart.add({ name: 'tea', price: 3 } as Item);
    this.setData({ total: cart.total() });
  },
  openDetail(): void {
    my.navigateTo({ url: '/pages/detail/detail?id=7' });
  },
});
