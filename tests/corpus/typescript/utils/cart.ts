import type { Item } from './item';

export abstract class Store<T> {
  protected abstract name(): string;
  describe(): string {
    return this.name();
  }
}

export class Cart extends Store<Item> {
  private items: Item[] = [];
  declare readonly tag: string;

  constructor(public readonly owner: string, private discount = 0) {
    super();
  }

  protected name(): string {
    return `${this.owner}'s cart`;
  }

  add(item: Item): this {
    this.items.push(item);
    return this;
  }

  total(): number {
    const sum = this.items.reduce((s, i) => s + i.price * (i.qty ?? 1), 0);
    return sum - this.discount!;
  }

  first(): Item | undefined {
    return this.items[0];
  }
}

export default function makeCart(owner: string): Cart {
  return new Cart(owner, 2);
}
