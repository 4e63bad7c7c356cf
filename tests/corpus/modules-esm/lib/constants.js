export const VERSION = '1.0';
export default 'constants-default';
