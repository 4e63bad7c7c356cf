export interface Item {
  name: string;
  price: number;
  qty?: number;
}

export type Price = Item['price'];
