// The Information Display family of Ant Design Mini 3.4.3, with the props
// and data of its documentation's Alipay code samples.
const nameArr = ['小明', '小何', '小花', '小美'];
const favoriteArr = ['羽毛球', '乒乓球', '篮球', '桌球'];
const addressArr = ['北京', '上海', '浙江', '广州'];

Page({
  data: {
    letters: 'ABCDEFG'.split(''),
    imagesUrl: 'https://gw.alipayobjects.com/mdn/rms_226d75/afts/img/A*5m0ZQYhxhjEAAAAAAAAAAAAAARQnAQ',
    monthRange: [new Date(2024, 2, 1).getTime(), new Date(2024, 3, 1).getTime()],
    calendarRange: [new Date(2024, 2, 5).getTime(), new Date(2024, 2, 8).getTime()],
    calendarDay: new Date(2024, 2, 15).getTime(),
    collapseItems: [
      { title: 'item1 title', content: 'item1 content' },
      { title: 'item2 title', content: 'item2 content' },
      { title: 'item3 title', content: 'item3 content' },
    ],
    horizontalButtonInfo: {
      layout: 'horizontal',
      list: [
        { type: 'primary', text: 'refresh' },
        { type: 'default', text: 'checkout internet' },
      ],
    },
    indexItems: 'ABCDEFGHIJ'.split('').map((u) => ({ label: u })),
    rightButtons: [
      { text: 'favor', bgColor: '#CCCCCC', color: '#fff', width: 200 },
      { text: 'rest', bgColor: '#1677FF', color: '#fff', width: 170 },
      { text: 'delete', bgColor: '#FF2B00', color: '#fff', width: 140 },
    ],
    dataSource: nameArr.map((name, i) => ({
      key: i,
      name,
      sex: i % 2 ? '女' : '男',
      age: String(18 + i * 7),
      favorite: favoriteArr[i],
      address: addressArr[i],
    })),
    columns: [
      { title: '姓名', dataIndex: 'name', key: 'name', width: 150, fixed: true },
      { title: '年龄', dataIndex: 'age', key: 'age', textAlignRight: true, width: 150, sorter: true },
      { title: '性别', dataIndex: 'sex', key: 'sex', width: 150 },
      { title: '爱好', dataIndex: 'favorite', key: 'favorite', width: 250 },
      { title: '地址', dataIndex: 'address', key: 'address', width: 250 },
    ],
  },
  log() {},
  back() { my.navigateBack(); },
  // Calendar's onFormatter, named by a string as its documentation does.
  demoFormatter(cell) {
    const day = new Date(cell.time).getDate();
    return { top: { label: day % 2 === 1 ? '奇数' : '偶数' }, bottom: { label: '' } };
  },
  demoMonthFormatter(month) { return { ...month }; },
});
