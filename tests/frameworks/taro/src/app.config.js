export default defineAppConfig({
  pages: ['pages/index/index', 'pages/list/list'],
  window: { navigationBarTitleText: 'Taro starter' }
})
