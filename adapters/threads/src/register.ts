/** `import '@parajob/threads/register'` makes the 'threads' backend available by name. */
import { register } from './index.js';

register();
