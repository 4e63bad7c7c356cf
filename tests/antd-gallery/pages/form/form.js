import { Form } from 'antd-mini/es/Form/form';

Page({
  data: {
    out: '',
    tabs: [{title: 'A', key: 'a'}, {title: 'B', key: 'b'}],
    panels: [{title: 'P1', content: 'c1'}, {title: 'P2', content: 'c2'}],
    opts: [{text: 'x', value: 'x'}, {text: 'y', value: 'y'}],
  },
  // Ant Design Mini's Form, as its documentation has it: a Form object on
  // the page, each form item handed to it by `ref`.
  form: new Form(),
  handleRef(ref) { this.form.addItem(ref); },
  async submit() {
    try {
      const values = await this.form.submit();
      this.setData({ out: 'form:' + JSON.stringify(values) });
    } catch (e) {
      this.setData({ out: 'form:invalid:' + e.errorFields.map(f => f.name).join(',') });
    }
  },
  tapped() { this.setData({ out: 'tapped' }); },
  switched(v) { this.setData({ out: 'switch:' + v }); },
  typed(v) { this.setData({ out: 'typed:' + v }); },
  stepped(v) { this.setData({ out: 'step:' + v }); },
  radioed(v) { this.setData({ out: 'radio:' + v }); },
  tabbed(i) { this.setData({ out: 'tab:' + i }); },
  collapsed(v) { this.setData({ out: 'collapse:' + JSON.stringify(v) }); },
  rated(v) { this.setData({ out: 'rate:' + v }); },
  checked(v) { this.setData({ out: 'check:' + v }); },
  selected(v) { this.setData({ out: 'sel:' + v }); },
});
