const item = require('../../mixins/item');
Component({
  mixins: [item],
  options: { relations: true },
  props: { name: '' },
  data: { parent: 'none' },
  relations: {
    '../ul/ul': { type: 'parent', linked(ul) { this.setData({ parent: ul.is }); } },
    '../box/box': { type: 'ancestor' }
  }
});
