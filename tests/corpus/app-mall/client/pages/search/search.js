import api from '../../utils/api';
Page({
  data: { q: '', hits: [] },
  onInput(e) { this.setData({ q: e.detail.value }); },
  async go() {
    const res = await api.products();
    const q = this.data.q.toLowerCase();
    this.setData({ hits: res.items.filter((p) => p.name.toLowerCase().includes(q)).map((p) => p.name) });
  },
});
