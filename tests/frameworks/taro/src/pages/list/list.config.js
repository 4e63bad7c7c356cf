export default definePageConfig({ navigationBarTitleText: 'List' })
