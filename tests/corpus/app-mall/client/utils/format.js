import { yuan } from 'tiny-money';
export const price = (c) => yuan(c);
export const plural = (n, word) => n + ' ' + word + (n === 1 ? '' : 's');
