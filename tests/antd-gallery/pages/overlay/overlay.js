// Ant Design Mini's overlays: each opened as its user would, then closed or
// confirmed, with what its handler received written to #out.
Page({
  data: {
    out: '',
    popup: false,
    modal: false,
    toast: false,
    fruits: [{label: 'Apple', value: 'a'}, {label: 'Banana', value: 'b'}, {label: 'Cherry', value: 'c'}],
  },
  openPopup() { this.setData({ popup: true }); },
  closes: 0,
  popupClosed(e) { this.closes += 1; this.setData({ popup: false, out: 'popup:close:' + e.target.dataset.k + ':' + this.closes }); },
  openModal() { this.setData({ modal: true }); },
  modalOk(e) { this.setData({ modal: false, out: 'modal:primary:' + e.target.dataset.k }); },
  modalCancel(e) { this.setData({ modal: false, out: 'modal:cancel:' + e.target.dataset.k }); },
  modalClosed(e) { this.setData({ modal: false, out: 'modal:close:' + e.target.dataset.k }); },
  picked(value, item) { this.setData({ out: 'picker:' + value + ':' + item.label }); },
  pickCancelled(e) { this.setData({ out: 'picker:cancel:' + e.detail.type }); },
  dated(date, text) { this.setData({ out: 'date:' + text + ':' + (date instanceof Date ? date.getDate() : typeof date) }); },
  openToast() { this.setData({ toast: true, out: 'toast:open' }); },
  swiped(data, e) { this.setData({ out: 'swipe:' + data.direction + ':' + data.btnIdx + ':' + e.target.dataset.k }); },
  toastClosed(e) { this.setData({ toast: false, out: 'toast:close:' + e.target.dataset.k }); },
});
