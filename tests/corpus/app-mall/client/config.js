module.exports = { api: 'https://api.mall.example' };
