// A subpackage uses main-package files.
const { label } = require('/shared/label');
Page({ data: { title: label('list') }, open() { my.navigateTo({ url: '../item/item?id=7' }); } });
