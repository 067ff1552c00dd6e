// poolifier worker file: the same functions as task functions the pool calls by name.
import { ThreadWorker } from 'poolifier';
import { burn, sliceSum, square } from '../work.mjs';

export default new ThreadWorker({
  square: (x) => square(x),
  burn: ({ iters, seed }) => burn(iters, seed),
  sliceSum: ({ data, start, end }) => sliceSum(data, start, end),
});
