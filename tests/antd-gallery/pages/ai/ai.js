// The copilot (AI) components of Ant Design Mini 3.4.3, with the props and
// data of their documentation's Alipay code samples.
Page({
  data: {
    avatar: 'https://gw.alipayobjects.com/mdn/rms_226d75/afts/img/A*5m0ZQYhxhjEAAAAAAAAAAAAAARQnAQ',
    actions: [
      { label: 'Copy', icon: 'FileOutline' },
      { label: 'Like', icon: 'LikeOutline' },
      { label: 'Retry', icon: 'UndoOutline' },
    ],
    items: [
      { key: '1', label: '给我推荐一首歌', description: '这是会话的部分富文本信息Description', icon: '', timestamp: '10:23' },
      { key: '3', label: '禁用无法点击此条', description: '这是会话的部分富文本信息Description', icon: '', timestamp: '10:20', disabled: true },
      { key: '5', label: '给我推荐一首诗', description: '这是会话的部分富文本信息Description', icon: '', timestamp: '09:11' },
    ],
    menus: [
      { text: '编辑', bgColor: '#FFA91B', color: '#fff', width: 160 },
      { text: '删除', bgColor: '#FF2B00', color: '#fff', width: 160 },
    ],
    baseList: [
      { key: '1', label: 'Ant Design X 全新升级了什么？', description: '升级内容' },
      { key: '2', label: 'Ant Design X 组件资产内容', description: '组件资产' },
      { key: '3', label: '快速实现安装和Introduction组件', description: '安装', icon: 'RightOutline' },
    ],
    question: 'What is new?',
    basicList: [
      { title: '理解问题', content: '3A游戏', icon: 'CheckCircleOutline' },
      { title: '没有在本地找到结果', content: '当前主流显卡', icon: 'CheckCircleOutline' },
      { title: '在互联网上搜索问题', content: '推荐的显卡', icon: 'MoreOutline' },
    ],
  },
  log() {},
  back() { my.navigateBack(); },
  onQuestion(question) { this.setData({ question }); },
});
