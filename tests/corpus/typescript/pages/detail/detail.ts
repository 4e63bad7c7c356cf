interface Query {
  id?: string;
}

Page({
  data: { id: '' },
  onLoad(query: Query): void {
    this.setData({ id: `item ${query.id ?? 'none'}` });
  },
});
