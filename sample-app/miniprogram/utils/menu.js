// Coffee Club's menu rules, shared by app.js and the pages: an ES module,
// as Alipay's IDE compiles them (app.js imports it; so could any page).

// Shown when the menu endpoint is unreachable. Prices are in cents.
export const FALLBACK_MENU = [
  { id: 'espresso', name: 'Espresso', price: 300, image: '/assets/espresso.svg', desc: 'A double shot of our house blend.' },
  { id: 'latte', name: 'Caffe Latte', price: 450, image: '/assets/latte.svg', desc: 'Espresso with steamed milk and a thin layer of foam.' },
  { id: 'cappuccino', name: 'Cappuccino', price: 420, image: '/assets/cappuccino.svg', desc: 'Equal parts espresso, steamed milk and foam.' },
  { id: 'mocha', name: 'Mocha', price: 480, image: '/assets/mocha.svg', desc: 'Espresso, dark chocolate and steamed milk.' },
  { id: 'cold-brew', name: 'Cold Brew', price: 400, image: '/assets/cold-brew.svg', desc: 'Steeped for 18 hours, served over ice.' },
  { id: 'croissant', name: 'Butter Croissant', price: 350, image: '/assets/croissant.svg', desc: 'Baked every morning.' }
];

const ID_PATTERN = /^[a-z0-9-]{1,32}$/;
const IMAGE_PATTERN = /^\/assets\/[a-z0-9-]{1,32}\.svg$/;

export function formatPrice(cents) {
  const n = Math.max(0, Math.round(Number(cents) || 0));
  const frac = n % 100;
  return '$' + Math.floor(n / 100) + '.' + (frac < 10 ? '0' : '') + frac;
}

// Keeps only well-formed items; anything else from the network or storage is dropped.
export function cleanItem(raw) {
  if (!raw || typeof raw !== 'object') return null;
  const id = String(raw.id || '');
  const price = Number(raw.price);
  if (!ID_PATTERN.test(id) || !Number.isInteger(price) || price < 0 || price > 100000) return null;
  const name = String(raw.name || '').slice(0, 40);
  if (!name) return null;
  return {
    id,
    name,
    price,
    image: IMAGE_PATTERN.test(String(raw.image || '')) ? raw.image : '/assets/placeholder.svg',
    desc: String(raw.desc || '').slice(0, 200)
  };
}
