/** `import '@parajob/worker-threads/register'` makes the 'worker-threads' backend available by name. */
import { register } from './index.js';

register();
