// piscina / tinypool worker file: one trivial task per message.
export { square as default } from '../work.mjs';
