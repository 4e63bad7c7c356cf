// The Information Entry family of Ant Design Mini 3.4.3, with the props and
// data of its documentation's Alipay code samples, and a Form of Form items.
import { Form } from 'antd-mini/es/Form/form';

Page({
  data: {
    checked: true,
    checkValue: ['banana'],
    fruits: [
      { value: 'apple', label: 'Apple' },
      { value: 'orange', label: 'Orange' },
      { value: 'banana', label: 'Banana' },
    ],
    checklist: [
      { value: 1, title: '可勾选列表项1' },
      { value: 2, title: '可勾选列表项2' },
      { value: 3, title: '可勾选列表项3' },
    ],
    checklistValue: [1, 2],
    min: new Date(2019, 0, 15).getTime(),
    max: new Date(2023, 7, 20).getTime(),
    defaultDate: new Date(2019, 1, 2).getTime(),
    defaultDateRange: [new Date(2022, 2, 21).getTime(), new Date(2022, 4, 20).getTime()],
    defaultFileList: [
      { url: 'https://gw.alipayobjects.com/mdn/rms_226d75/afts/img/A*znK_ToIL8rQAAAAAAAAAAAAAARQnAQ', status: 'done' },
    ],
    cities: ['北京', '上海', '深圳', '广州', '南京', '武汉', '无锡', '苏州'],
    columns: [
      [
        { label: '周一', value: 'Mon' },
        { label: '周二', value: 'Tues' },
        { label: '周三', value: 'Wed' },
      ],
      [
        { label: '上午', value: 'am' },
        { label: '下午', value: 'pm' },
      ],
    ],
    cityList: [
      { label: '北京', value: '11', children: [{ label: '北京', value: '110' }] },
      {
        label: '河北',
        value: '18',
        children: [
          { label: '石家庄', value: '188' },
          { label: '唐山', value: '181' },
        ],
      },
    ],
    radioValue: 'banana',
    radioOptions: [
      { value: 'apple', label: '苹果' },
      { value: 'orange', label: '橘子' },
      { value: 'banana', label: '香蕉' },
    ],
    selectorOptions: [
      { text: '选项一', value: '1' },
      { text: '选项二', value: '2' },
      { text: '选项三', value: '3' },
    ],
  },
  form: new Form(),
  handleRef(ref) { this.form.addItem(ref); },
  log() {},
  back() { my.navigateBack(); },
  handleCheckedChange(checked) { this.setData({ checked }); },
  handleValueChange(checkValue) { this.setData({ checkValue }); },
  onChecklist(checklistValue) { this.setData({ checklistValue }); },
  handleRadioGroupChange(radioValue) { this.setData({ radioValue }); },
  onBeforeUpload(list) { return list.filter((item) => item.size < 10000); },
  onUpload() {
    return Promise.resolve('https://gw.alipayobjects.com/mdn/rms_226d75/afts/img/A*5m0ZQYhxhjEAAAAAAAAAAAAAARQnAQ');
  },
});
