// piscina worker file: sums a slice of the array it is given (shared or copied, as the caller sent it).
import { sliceSum } from '../work.mjs';

export default function run({ data, start, end }) {
  return sliceSum(data, start, end);
}
