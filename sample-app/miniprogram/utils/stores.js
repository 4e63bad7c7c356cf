// Coffee Club's stores and the nearest one: a CommonJS module.

// Our stores; the nearest is worked out on the device.
const STORES = [
  { id: 'raffles', name: 'Raffles Place', address: '5 Raffles Place', latitude: 1.284, longitude: 103.851 },
  { id: 'orchard', name: 'Orchard', address: '290 Orchard Road', latitude: 1.3048, longitude: 103.8318 },
  { id: 'tiong-bahru', name: 'Tiong Bahru', address: '55 Tiong Bahru Road', latitude: 1.286, longitude: 103.827 }
];

// Distance in km (equirectangular: plenty for "which store is closest").
function distanceKm(lat1, lon1, lat2, lon2) {
  const rad = Math.PI / 180;
  const x = (lon2 - lon1) * rad * Math.cos(((lat1 + lat2) / 2) * rad);
  const y = (lat2 - lat1) * rad;
  return Math.sqrt(x * x + y * y) * 6371;
}

function nearestStore(latitude, longitude) {
  let best = null;
  for (let i = 0; i < STORES.length; i++) {
    const s = STORES[i];
    const d = distanceKm(latitude, longitude, s.latitude, s.longitude);
    if (!best || d < best.distance) best = { store: s, distance: d };
  }
  return best;
}

module.exports = { STORES, nearestStore };
