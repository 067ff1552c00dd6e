// piscina / tinypool worker file: ~10 ms of CPU per message.
import { burn } from '../work.mjs';

export default function run({ iters, seed }) {
  return burn(iters, seed);
}
