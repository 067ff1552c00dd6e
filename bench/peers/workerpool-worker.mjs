// workerpool worker file: registers the same functions under names the pool calls by.
import workerpool from 'workerpool';
import { burn, square } from '../work.mjs';

workerpool.worker({ square, burn });
