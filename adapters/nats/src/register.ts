/** `import '@parajob/nats/register'` makes the 'nats' backend available by name. */
import { register } from './index.js';

register();
